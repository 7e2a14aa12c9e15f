// Compiles src/simd's .wat files into the generated modules beside them (each module's bytes,
// base64), with wabt (a devDependency): `node packages/backends/scripts/build-simd.mjs`.
// scripts/simd-modules.mjs lists them; src/simd-wat.test.ts fails when the committed bytes are not
// what the .wat files assemble to.
import fs from 'node:fs';
import path from 'node:path';
import { stdout } from 'node:process';
import { writeWasmModule } from '../../../tooling/scripts/wat.mjs';
import { SIMD_MODULES } from './simd-modules.mjs';

const dir = path.resolve(import.meta.dirname, '../src/simd');
for (const m of SIMD_MODULES) {
  const watPath = path.join(dir, m.wat);
  const source = m.derive ? m.derive(fs.readFileSync(watPath, 'utf8')) : undefined;
  const size = await writeWasmModule(watPath, path.join(dir, m.ts), m.constName, 'scripts/build-simd.mjs', { source, relaxedSimd: m.relaxedSimd, threads: m.threads, from: m.from });
  stdout.write(`${m.ts}: ${size} bytes${size >= 4096 ? ' — over 4 kB: a page’s main thread cannot compile it synchronously' : ''}\n`);
}
