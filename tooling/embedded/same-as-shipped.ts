/**
 * Is a retrained embedded model the shipped one, byte for byte? Compares a folder written by a
 * model's training command (its card's "how to reproduce") with packages/all/assets/<name>:
 * `model.safetensors` — taken through the shipping steps the folder has not taken yet (float32 →
 * float16 as every training script's last step writes it, then `tfkit quantize` to int8 where the
 * shipped file is tfkit's int8; both plain arithmetic on the values, the same on every backend) —
 * and `tokenizer.json`.
 * From the repository root:
 *
 *   node --import ./tooling/embedded/hooks.mjs tooling/embedded/same-as-shipped.ts <folder> <name> [--json]
 *
 * Prints one line per file (sha256 of both, `same` or `differs`) and exits 1 when any differs, so
 * a reproduction run can end with it. The cards' "Reproduction" notes record what it said.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertToFloat16 } from '../../apps/cli/src/lm-training.js';
import { runTfkit } from '../../apps/cli/src/testing.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { positionals, values } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
const [folder, name] = positionals;
if (!folder || !name) {
  console.error('usage: same-as-shipped.ts <folder> <embedded model name>');
  process.exit(2);
}
const shipped = path.join(root, 'packages/all/assets', name);
for (const dir of [folder, shipped]) {
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    console.error(`no model.safetensors in ${dir}`);
    process.exit(2);
  }
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** The header of a safetensors file: its metadata and each tensor's dtype. */
function header(file: string): { metadata: Record<string, string>; dtypes: string[] } {
  const bytes = fs.readFileSync(file);
  const parsed = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string }> & { __metadata__?: Record<string, string> };
  const { __metadata__: metadata = {}, ...tensors } = parsed;
  return { metadata, dtypes: Object.values(tensors).map((t) => t.dtype) };
}
const isInt8 = (file: string) => header(file).metadata['tfkit_quantization'] !== undefined;

// The shipping steps every training script ends with, as far as the folder has not taken them:
// float32 → float16 (convertToFloat16, metadata kept), then float16 → int8 (tfkit quantize).
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-same-as-shipped-'));
try {
  process.exitCode = await compare(folder, name, scratch);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

/** 0 when the folder's files, taken through the shipping steps, are the shipped ones; 1 otherwise. */
async function compare(folder: string, name: string, scratch: string): Promise<number> {
  let candidate = folder;
  const steps: string[] = [];
  const mine = path.join(folder, 'model.safetensors');
  if (!isInt8(mine) && header(mine).dtypes.includes('F32')) {
    candidate = path.join(scratch, 'float16');
    fs.mkdirSync(candidate);
    for (const file of fs.readdirSync(folder)) if (fs.statSync(path.join(folder, file)).isFile()) fs.copyFileSync(path.join(folder, file), path.join(candidate, file));
    await convertToFloat16(candidate);
    steps.push('float16');
  }
  if (isInt8(path.join(shipped, 'model.safetensors')) && !isInt8(path.join(candidate, 'model.safetensors'))) {
    const to = path.join(scratch, 'int8');
    const run = await runTfkit(['quantize', candidate, to], root);
    if (run.code !== 0) throw new Error(`tfkit quantize ${candidate}: ${run.stderr.trim()}`);
    candidate = to;
    steps.push('int8');
  }
  const rows = ['model.safetensors', 'tokenizer.json']
    .filter((file) => fs.existsSync(path.join(shipped, file)))
    .map((file) => {
      const ours = fs.existsSync(path.join(candidate, file)) ? sha256(path.join(candidate, file)) : 'missing';
      const theirs = sha256(path.join(shipped, file));
      return { file, retrained: ours, shipped: theirs, same: ours === theirs, converted: file === 'model.safetensors' ? steps : [] };
    });
  if (values.json) console.log(JSON.stringify({ name, folder, files: rows }, null, 2));
  else for (const r of rows) console.log(`${name}/${r.file}${r.converted.length ? ` (retrained file converted to ${r.converted.join(', then ')})` : ''}: ${r.same ? 'same' : 'differs'} — retrained ${r.retrained.slice(0, 16)}…, shipped ${r.shipped.slice(0, 16)}…`);
  return rows.every((r) => r.same) ? 0 : 1;
}
