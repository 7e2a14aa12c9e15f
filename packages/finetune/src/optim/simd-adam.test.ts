import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without declarations
import { assembleWat } from '../../../../tooling/scripts/wat.mjs';
import { adamKernel, adamScalars, type AdamScalars } from './fused-adam.js';
import { adamKernelSimd } from './simd-adam.js';
import { ADAM_WASM_BASE64 } from './simd/adam-wasm.js';

/** Seeded values over many magnitudes, with zeros of both signs, subnormals and large values mixed in. */
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    const special = i % 97;
    if (special === 0) out[i] = 0;
    else if (special === 1) out[i] = -0;
    else if (special === 2) out[i] = 1e-40 * (u - 0.5);
    else if (special === 3) out[i] = 3e4 * (u - 0.5);
    else out[i] = scale * (u - 0.5) * 10 ** Math.floor(u * 6 - 3);
  }
  return out;
}

/** Both kernels on copies of the same inputs; the outputs as bit patterns. */
function both(n: number, s: AdamScalars, first: boolean, alias: boolean) {
  const run = (simd: boolean) => {
    const p = values(n, 1, 1);
    const g = values(n, 2, 0.01);
    const m = first ? null : values(n, 3, 0.001);
    const v = first ? null : values(n, 4, 1e-6).map(Math.abs);
    const pOut = alias ? g : new Float32Array(n);
    const mOut = m ?? new Float32Array(n);
    const vOut = v ?? new Float32Array(n);
    if (simd) expect(adamKernelSimd(p, g, m, v, pOut, mOut, vOut, s)).toBe(true);
    else adamKernel(p, g, m, v, pOut, mOut, vOut, s);
    return [pOut, mOut, vOut].map((a) => new Uint32Array(a.buffer, a.byteOffset, a.length));
  };
  return { simd: run(true), js: run(false) };
}

describe('adamKernelSimd', () => {
  const base = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const cases: [string, AdamScalars][] = [
    ['AdamW with clipping, step 1', adamScalars({ ...base, weightDecay: 0.01, t: 1, decoupled: true, gradScale: 0.37 })],
    ['AdamW without clipping, step 7', adamScalars({ ...base, weightDecay: 0.01, t: 7, decoupled: true })],
    ['Adam with L2 decay and clipping, step 3', adamScalars({ ...base, weightDecay: 0.1, t: 3, decoupled: false, gradScale: 0.9 })],
    ['no decay, other betas, step 1000', adamScalars({ lr: 1e-2, beta1: 0.85, beta2: 0.995, eps: 1e-6, weightDecay: 0, t: 1000, decoupled: true })],
  ];
  // 40,003 values: two whole 16,384-value chunks, a partial one, and a length that is not a multiple of 4.
  it.each(cases)('gives adamKernel’s bits: %s', (_, s) => {
    for (const first of [true, false]) {
      for (const alias of [false, true]) {
        const { simd, js } = both(40_003, s, first, alias);
        for (let k = 0; k < 3; k++) expect(Buffer.from(simd[k]!.buffer).equals(Buffer.from(js[k]!.buffer))).toBe(true);
      }
    }
  });

  it('moves each parameter by lr against its gradient on the first step (not a no-op)', () => {
    const s = adamScalars({ ...base, weightDecay: 0, t: 1, decoupled: true });
    const p = Float32Array.from([1, -2, 0.5, 3, 0, 7]);
    const g = Float32Array.from([0.5, -0.25, 2, -1, 0.125, 0]);
    const m = new Float32Array(6);
    const v = new Float32Array(6);
    const out = new Float32Array(6);
    expect(adamKernelSimd(p, g, null, null, out, m, v, s)).toBe(true);
    // Step 1: m̂ = g, v̂ = g², so each parameter moves by lr · g / (|g| + eps) ≈ lr · sign(g).
    const moved = Array.from(out, (x, i) => x - p[i]!);
    expect(moved.slice(0, 5).map((d) => Math.round(d / 3e-4))).toEqual([-1, 1, -1, 1, -1]);
    expect(moved[5]).toBe(0);
    expect(Array.from(m)).toEqual(Array.from(g, (x) => Math.fround(x * Math.fround(1 - 0.9))));
  });

  it('holds adam.wat assembled (run scripts/build-simd.mjs after editing the .wat)', async () => {
    const source = fs.readFileSync(path.join(import.meta.dirname, 'simd/adam.wat'), 'utf8');
    const bytes = (await assembleWat('adam.wat', source)) as Buffer;
    expect(ADAM_WASM_BASE64).toBe(bytes.toString('base64'));
  });
});
