// Carves a validation split from each head's TRAINING data, for choosing fine-tuning recipes
// without looking at the test sets (prepare-finetune.mjs must have written <dir>/*-train.jsonl):
//   node tooling/embedded/tiny-bert/split-validation.mjs <dir>
// writes <task>-fit.jsonl (90%) and <task>-val.jsonl (10%) for classify, ner and qa. The split is
// seeded; question-answering keeps every question of one passage on the same side.
import fs from 'node:fs';
import path from 'node:path';
import { rng } from './rng.mjs';

const dir = process.argv[2] ?? '/tmp/tiny-bert-data';
const VAL_FRACTION = 0.1;


const counts = {};
for (const [task, key] of [
  ['classify', (r) => r.text],
  ['ner', (r) => r.tokens.join(' ')],
  ['qa', (r) => r.context],
]) {
  const lines = fs.readFileSync(path.join(dir, `${task}-train.jsonl`), 'utf8').split('\n').filter(Boolean);
  const groups = [...new Set(lines.map((l) => key(JSON.parse(l))))];
  const random = rng(13);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const val = new Set(groups.slice(0, Math.round(groups.length * VAL_FRACTION)));
  const fit = lines.filter((l) => !val.has(key(JSON.parse(l))));
  const held = lines.filter((l) => val.has(key(JSON.parse(l))));
  fs.writeFileSync(path.join(dir, `${task}-fit.jsonl`), fit.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, `${task}-val.jsonl`), held.join('\n') + '\n');
  counts[task] = { fit: fit.length, val: held.length };
}
console.log(JSON.stringify(counts));
