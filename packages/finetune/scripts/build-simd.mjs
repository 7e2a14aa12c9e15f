// Compiles src/optim/simd/adam.wat into src/optim/simd/adam-wasm.ts (the module's bytes, base64),
// with wabt: `node packages/finetune/scripts/build-simd.mjs`. src/optim/simd-adam.test.ts fails
// when the committed bytes are not what adam.wat assembles to.
import path from 'node:path';
import { stdout } from 'node:process';
import { writeWasmModule } from '../../../tooling/scripts/wat.mjs';

const dir = path.resolve(import.meta.dirname, '../src/optim/simd');
const size = await writeWasmModule(path.join(dir, 'adam.wat'), path.join(dir, 'adam-wasm.ts'), 'ADAM_WASM_BASE64', 'scripts/build-simd.mjs');
stdout.write(`adam-wasm.ts: ${size} bytes\n`);
