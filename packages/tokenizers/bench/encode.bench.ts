/**
 * Encode throughput (MB/s of UTF-8 text) on the shared corpus, one document (~2 kB) per call:
 * tfkit vs js-tiktoken (r50k_base = GPT-2), @huggingface/tokenizers (pure JS) and tokenizers
 * (Rust, Node bindings) for GPT-2 BPE and BERT WordPiece. Every peer is checked to produce the
 * same ids as tfkit before it is timed. Run with `pnpm bench` in packages/tokenizers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer as HfJs } from '@huggingface/tokenizers';
import { Tiktoken } from 'js-tiktoken/lite';
import r50k from 'js-tiktoken/ranks/r50k_base';
import * as hf from 'tokenizers';
import { Tokenizer } from '../src/index.js';
import { fixturesDir } from '../src/test-fixtures.js';
import { documents, machine, table, utf8Bytes } from './common.js';

const MB = Number(process.env['BENCH_MB'] ?? 4);
const docs = documents(MB * 1e6);
const bytes = utf8Bytes(docs);
const readJson = (name: string, file: string) => JSON.parse(fs.readFileSync(path.join(fixturesDir, 'tokenizers', name, file), 'utf8'));

interface Contender {
  name: string;
  encode: (doc: string) => number[] | Promise<number[]>;
  batch?: boolean;
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

/**
 * Times every contender once per round, rounds interleaved so that a busy moment on the machine
 * hits all of them alike; the best round counts.
 */
async function run(model: string, contenders: Contender[]): Promise<string[][]> {
  const sample = docs.slice(0, 200);
  const reference = await Promise.all(sample.map((d) => contenders[0]!.encode(d)));
  const same = await Promise.all(
    contenders.map(async (c) => {
      const ids = await Promise.all(sample.map((d) => c.encode(d)));
      return ids.every((x, k) => x.length === reference[k]!.length && x.every((v, i) => v === reference[k]![i]));
    }),
  );
  const best = contenders.map(() => Infinity);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [k, c] of contenders.entries()) {
      const t = performance.now();
      for (const d of docs) await c.encode(d);
      // Round 0 warms every library up (JIT, caches) and is not counted.
      if (round > 0) best[k] = Math.min(best[k]!, (performance.now() - t) / 1000);
    }
  }
  const rates = best.map((seconds) => bytes / 1e6 / seconds);
  return contenders.map((c, k) => [model, c.name, rates[k]!.toFixed(2), same[k] ? 'yes' : 'NO', `${(rates[0]! / rates[k]!).toFixed(2)}×`]);
}

const gpt2 = await Tokenizer.fromPretrained(path.join(fixturesDir, 'tokenizers', 'gpt2'));
const bert = await Tokenizer.fromPretrained(path.join(fixturesDir, 'tokenizers', 'bert-base-uncased'));
const tiktoken = new Tiktoken(r50k);
const hfJsGpt2 = new HfJs(readJson('gpt2', 'tokenizer.json'), readJson('gpt2', 'tokenizer_config.json'));
const hfJsBert = new HfJs(readJson('bert-base-uncased', 'tokenizer.json'), readJson('bert-base-uncased', 'tokenizer_config.json'));
const rustGpt2 = hf.Tokenizer.fromFile(path.join(fixturesDir, 'tokenizers', 'gpt2', 'tokenizer.json'));
const rustBert = hf.Tokenizer.fromFile(path.join(fixturesDir, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));

const load0 = os.loadavg()[0]!;
const rows = [
  ...(await run('GPT-2 BPE', [
    { name: 'tfkit', encode: (d) => gpt2.encode(d).ids },
    { name: 'js-tiktoken (r50k_base)', encode: (d) => tiktoken.encode(d) },
    { name: '@huggingface/tokenizers (JS)', encode: (d) => hfJsGpt2.encode(d).ids },
    { name: 'tokenizers (Rust bindings)', encode: async (d) => (await rustGpt2.encode(d)).getIds() },
  ])),
  ...(await run('BERT WordPiece', [
    { name: 'tfkit', encode: (d) => bert.encode(d).ids },
    { name: '@huggingface/tokenizers (JS)', encode: (d) => hfJsBert.encode(d).ids },
    { name: 'tokenizers (Rust bindings)', encode: async (d) => (await rustBert.encode(d)).getIds() },
  ])),
];

console.log(`\nEncode throughput, ${(bytes / 1e6).toFixed(1)} MB of English books in ${docs.length} documents (~2 kB each), one call per document, best of ${ROUNDS} interleaved rounds.`);
console.log(`Machine: ${machine()}\n`);
console.log(table(['tokenizer', 'library', 'MB/s', 'same ids', 'tfkit speed-up'], rows));
console.log(`\n1-minute load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end.`);
