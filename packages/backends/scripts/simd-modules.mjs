// The WebAssembly modules of src/simd: which .wat each is assembled from, with which features, into
// which generated file. Shared by scripts/build-simd.mjs and src/simd-wat.test.ts.

/**
 * `gemm` and `gemv` (with the functions they call) from kernels.wat, every
 * `f32x4.add(c, f32x4.mul(x, y))` of their SIMD loops made `f32x4.relaxed_madd(x, y, c)`: the same
 * kernels with a fused multiply-add where the runtime and CPU have one. Derived from the text, so
 * the two cannot drift apart.
 * @param {string} kernelsWat kernels.wat's text @returns {string}
 */
export function relaxedGemmWat(kernelsWat) {
  const start = kernelsWat.indexOf('  ;; c = bias + op(a) · op(b)');
  const end = kernelsWat.lastIndexOf(')');
  if (start < 0) throw new Error('kernels.wat: the gemm section (";; c = bias + op(a) · op(b)") is missing');
  const multiplyAdd = /\(f32x4\.add \(local\.get (\$c\d\d)\) \(f32x4\.mul (\(local\.get \$x\d\)) (\((?:local\.get \$x\d|v128\.load offset=\d+ \(local\.get \$p[b1-3]\))\))\)\)/g;
  let count = 0;
  const body = kernelsWat.slice(start, end).replace(multiplyAdd, (_, c, x, y) => {
    count++;
    return `(f32x4.relaxed_madd ${x} ${y} (local.get ${c}))`;
  });
  if (count !== 20) throw new Error(`kernels.wat: expected the 20 SIMD multiply-adds of gemm and gemv, found ${count}`);
  return `;; Derived from kernels.wat by scripts/simd-modules.mjs (relaxedGemmWat); do not edit.\n(module\n  (import "env" "memory" (memory 1))\n${body})\n`;
}

const IMPORT = '(import "env" "memory" (memory 1))';

/**
 * The module with its memory imported as shared (tfjs-backend-wasm's threaded build: a shared
 * memory of at most 4 GB, which an import must declare to match); nothing else changes. Not built:
 * src/simd/shared-memory.ts makes these variants from the modules' bytes at run time, and
 * src/simd-wat.test.ts checks its bytes against this text assembled.
 * @param {string} wat a module's text @returns {string}
 */
export function sharedMemoryWat(wat) {
  if (wat.split(IMPORT).length !== 2) throw new Error(`expected one ${IMPORT}`);
  return wat.replace(IMPORT, '(import "env" "memory" (memory 1 65536 shared))');
}

/** [.wat file, generated .ts file, exported constant, features, derive] */
export const SIMD_MODULES = [
  { wat: 'kernels.wat', ts: 'kernels-wasm.ts', constName: 'KERNELS_WASM_BASE64' },
  { wat: 'elementwise.wat', ts: 'elementwise-wasm.ts', constName: 'ELEMENTWISE_WASM_BASE64' },
  { wat: 'kernels.wat', ts: 'relaxed-wasm.ts', constName: 'RELAXED_WASM_BASE64', relaxedSimd: true, derive: relaxedGemmWat, from: 'kernels.wat (gemm and gemv, relaxed multiply-adds)' },
];
