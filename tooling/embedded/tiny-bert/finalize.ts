/**
 * Makes a trained checkpoint directory the shipped form: the Trainer's resumable checkpoints
 * removed, the weights stored as float16 (half the size; tfkit and transformers read them as float32).
 *   node --import ./tooling/embedded/register.mjs tooling/embedded/tiny-bert/finalize.ts <dir>...
 */
import fs from 'node:fs';
import path from 'node:path';
import { convertToFloat16 } from '../../../apps/cli/src/lm-training.js';

for (const dir of process.argv.slice(2)) {
  fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true, force: true });
  await convertToFloat16(dir);
  console.log(`${dir}: float16, ${fs.statSync(path.join(dir, 'model.safetensors')).size} bytes`);
}
