/** The committed kernel bytes (src/simd/kernels-wasm.ts) are what src/simd/kernels.wat assembles to. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without declarations
import { assembleWat } from '../../../tooling/scripts/wat.mjs';
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';

describe('src/simd/kernels-wasm.ts', () => {
  it('holds kernels.wat assembled (run scripts/build-simd.mjs after editing the .wat)', async () => {
    const source = fs.readFileSync(path.join(import.meta.dirname, 'simd/kernels.wat'), 'utf8');
    const bytes = (await assembleWat('kernels.wat', source)) as Buffer;
    expect(bytes.length).toBeGreaterThan(8);
    expect(KERNELS_WASM_BASE64).toBe(bytes.toString('base64'));
  });
});
