// kernels.wat → WebAssembly bytes (SIMD enabled), with wabt; used by build-simd.mjs and the test
// that checks the committed bytes.
import { Buffer } from 'node:buffer';
import wabtFactory from 'wabt';

/** @param {string} source @returns {Promise<Buffer>} */
export async function assembleKernels(source) {
  const wabt = await wabtFactory();
  const module = wabt.parseWat('kernels.wat', source, { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
