// Compiles src/simd/kernels.wat into src/simd/kernels-wasm.ts (the module's bytes, base64), with
// wabt (a devDependency): `node packages/backends/scripts/build-simd.mjs`. src/simd-wat.test.ts
// fails when the committed bytes are not what kernels.wat assembles to.
import path from 'node:path';
import { stdout } from 'node:process';
import { writeWasmModule } from '../../../tooling/scripts/wat.mjs';

const dir = path.resolve(import.meta.dirname, '../src/simd');
const size = await writeWasmModule(path.join(dir, 'kernels.wat'), path.join(dir, 'kernels-wasm.ts'), 'KERNELS_WASM_BASE64', 'scripts/build-simd.mjs');
stdout.write(`kernels-wasm.ts: ${size} bytes\n`);
