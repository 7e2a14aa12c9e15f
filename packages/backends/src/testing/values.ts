/** Deterministic pseudo-random values in [offset − scale, offset + scale) (a tiny LCG), so cpu and wasm see the same numbers. */
export function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = offset + scale * (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}
