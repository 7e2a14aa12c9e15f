/** The committed kernel bytes (src/simd/*-wasm.ts) are what the .wat files assemble to (scripts/simd-modules.mjs lists them). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without declarations
import { assembleWat } from '../../../tooling/scripts/wat.mjs';
// @ts-expect-error -- a plain .mjs build script without declarations
import { relaxedGemmWat, sharedMemoryWat, SIMD_MODULES } from '../scripts/simd-modules.mjs';
import { ELEMENTWISE_WASM_BASE64 } from './simd/elementwise-wasm.js';
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';
import { RELAXED_WASM_BASE64 } from './simd/relaxed-wasm.js';
import { sharedMemoryModule } from './simd/shared-memory.js';

interface SimdModule {
  wat: string;
  ts: string;
  constName: string;
  relaxedSimd?: boolean;
  threads?: boolean;
  derive?: (text: string) => string;
}

const committed: Record<string, string> = { KERNELS_WASM_BASE64, ELEMENTWISE_WASM_BASE64, RELAXED_WASM_BASE64 };

describe('src/simd/*-wasm.ts', () => {
  it.each((SIMD_MODULES as SimdModule[]).map((m) => [m.ts, m] as const))('%s holds its .wat assembled (run scripts/build-simd.mjs after editing a .wat), under 4 kB', async (_name, m) => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'simd', m.wat), 'utf8');
    const bytes = (await assembleWat(m.wat, m.derive ? m.derive(text) : text, { relaxedSimd: m.relaxedSimd, threads: m.threads })) as Buffer;
    expect(bytes.length).toBeGreaterThan(8);
    // A page's main thread may compile a module synchronously only below 4 kB (older Chromium).
    expect(bytes.length).toBeLessThan(4096);
    expect(committed[m.constName]).toBe(bytes.toString('base64'));
  });

  it("derives the relaxed gemm and gemv from kernels.wat's: every SIMD multiply-add fused, nothing else changed", () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'simd/kernels.wat'), 'utf8');
    const relaxed = relaxedGemmWat(text) as string;
    expect(relaxed.match(/f32x4\.relaxed_madd/g)).toHaveLength(20);
    expect(relaxed).not.toMatch(/f32x4\.mul/);
    // Undo the substitution: the plain kernel's text comes back.
    const undone = relaxed.replace(/\(f32x4\.relaxed_madd (\(local\.get \$x\d\)) (\((?:local\.get \$x\d|v128\.load offset=\d+ \(local\.get \$p[b1-3]\))\)) \(local\.get (\$c\d\d)\)\)/g, '(f32x4.add (local.get $3) (f32x4.mul $1 $2))');
    expect(text).toContain(undone.slice(undone.indexOf('  ;; c = bias'), undone.lastIndexOf(')', undone.lastIndexOf(')') - 1)));
    expect(() => relaxedGemmWat(text.replace('(f32x4.add (local.get $c00) (f32x4.mul (local.get $x2) (local.get $x0)))', '(local.get $c00)'))).toThrow(/20 SIMD multiply-adds of gemm and gemv, found 19/);
  });

  it.each((SIMD_MODULES as SimdModule[]).map((m) => [m.ts, m] as const))("%s's shared-memory variant, made from its bytes at run time, is what the shared text assembles to", async (_name, m) => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'simd', m.wat), 'utf8');
    const shared = sharedMemoryWat(m.derive ? m.derive(text) : text) as string;
    const assembled = (await assembleWat(m.wat, shared, { relaxedSimd: m.relaxedSimd, threads: true })) as Buffer;
    const derived = sharedMemoryModule(Uint8Array.from(atob(committed[m.constName]!), (c) => c.charCodeAt(0)));
    expect(Buffer.from(derived).toString('base64')).toBe(assembled.toString('base64'));
    if (!m.relaxedSimd) expect(WebAssembly.validate(derived)).toBe(true); // (relaxed SIMD: Node 22+ only)
  });

  it('the run-time rewrite refuses a module that does not import just one memory with a minimum', () => {
    const noImport = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(() => sharedMemoryModule(noImport)).toThrow(/no import section/);
    const already = sharedMemoryModule(Uint8Array.from(atob(ELEMENTWISE_WASM_BASE64), (c) => c.charCodeAt(0)));
    expect(() => sharedMemoryModule(already)).toThrow(/a memory with a minimum only/);
  });

  it('derives the shared-memory modules by their memory import alone', () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'simd/elementwise.wat'), 'utf8');
    const shared = sharedMemoryWat(text) as string;
    expect(shared).toContain('(import "env" "memory" (memory 1 65536 shared))');
    expect(shared.replace('(memory 1 65536 shared)', '(memory 1)')).toBe(text);
    expect(() => sharedMemoryWat('(module)')).toThrow(/expected one/);
  });
});
