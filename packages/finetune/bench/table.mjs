// Prints the training-step benchmark table from bench/results-<mode>.json for the modes given.
import fs from 'node:fs';

const rows = process.argv.slice(2).map((m) => JSON.parse(fs.readFileSync(new URL(`./results-${m}.json`, import.meta.url), 'utf8')));
const torch1 = rows.find((r) => r.mode === 'pytorch-1');
const f = (x) => x.toFixed(1);
const vsTorch = (r, key) => (torch1 ? `${(r[key].trainStepMs / torch1[key].trainStepMs).toFixed(1)}×` : '—');
console.log('| runtime | BERT-mini fwd ms | BERT-mini step ms | step/fwd | GPT-2-tiny fwd ms | GPT-2-tiny step ms | step/fwd | step vs PyTorch 1 thread (BERT / GPT-2) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = (key) => (r[key].trainStepMs / r[key].forwardMs).toFixed(2);
  console.log(`| ${r.mode} | ${f(r.bertMini.forwardMs)} | ${f(r.bertMini.trainStepMs)} | ${ratio('bertMini')} | ${f(r.gpt2Tiny.forwardMs)} | ${f(r.gpt2Tiny.trainStepMs)} | ${ratio('gpt2Tiny')} | ${vsTorch(r, 'bertMini')} / ${vsTorch(r, 'gpt2Tiny')} |`);
}
