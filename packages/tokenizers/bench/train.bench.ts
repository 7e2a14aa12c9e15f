/**
 * BPE training time on 10 MB of the shared corpus (line by line, byte-level, GPT-2 pre-tokenizer):
 * tfkit for 8k and 30k tokens vs tokenizers (Rust, Node bindings). The bindings expose only the
 * default trainer (30k tokens), so the Rust row is a 30k run; greedy BPE learns the same first
 * merges either way. Run with `pnpm bench` in packages/tokenizers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '@tfkit/corpus';
import * as hf from 'tokenizers';
import { Tokenizer } from '../src/index.js';
import { machine, table } from './common.js';

const text = loadCorpus({ maxChars: 10_000_000 });
const lines = text.split('\n');
const mb = Buffer.byteLength(text) / 1e6;
const rows: string[][] = [];

for (const vocabSize of [8000, 30000]) {
  const t = performance.now();
  const tok = await Tokenizer.train({ model: 'bpe', vocabSize, minFrequency: 0 }, lines);
  rows.push(['tfkit', String(tok.vocabSize), ((performance.now() - t) / 1000).toFixed(1)]);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bench-'));
const file = path.join(dir, 'train.txt');
fs.writeFileSync(file, text);
const rust = new hf.Tokenizer(hf.BPE.empty());
rust.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
const t = performance.now();
rust.train([file]);
rows.push([`tokenizers (Rust bindings, ${os.cpus().length} threads)`, String(rust.getVocabSize()), ((performance.now() - t) / 1000).toFixed(1)]);
fs.rmSync(dir, { recursive: true, force: true });

console.log(`\nByte-level BPE training on ${mb.toFixed(1)} MB (${lines.length} lines). Machine: ${machine()}\n`);
console.log(table(['library', 'vocab', 'seconds'], rows));
