/**
 * Encode throughput (MB/s of UTF-8 text) on the shared corpus, one document (~2 kB) per call:
 * tfkit vs js-tiktoken (r50k_base = GPT-2), @huggingface/tokenizers (pure JS) and tokenizers
 * (Rust, Node bindings) for GPT-2 BPE and BERT WordPiece. Every peer is checked to produce the
 * same ids as tfkit before it is timed. Run with `pnpm bench` in packages/tokenizers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as HfJs } from '@huggingface/tokenizers';
import { Tiktoken } from 'js-tiktoken/lite';
import r50k from 'js-tiktoken/ranks/r50k_base';
import * as hf from 'tokenizers';
import { Tokenizer } from '../src/index.js';
import { fixturesDir } from '../src/test-fixtures.js';
import { bestOf, documents, machine, table, utf8Bytes } from './common.js';

const MB = Number(process.env['BENCH_MB'] ?? 4);
const docs = documents(MB * 1e6);
const bytes = utf8Bytes(docs);
const readJson = (name: string, file: string) => JSON.parse(fs.readFileSync(path.join(fixturesDir, 'tokenizers', name, file), 'utf8'));

interface Contender {
  name: string;
  encode: (doc: string) => number[] | Promise<number[]>;
  batch?: boolean;
}

async function run(model: string, contenders: Contender[]): Promise<string[][]> {
  const reference = await Promise.all(docs.slice(0, 200).map((d) => contenders[0]!.encode(d)));
  const rows: string[][] = [];
  let tfkitRate = 0;
  for (const c of contenders) {
    const ids = await Promise.all(docs.slice(0, 200).map((d) => c.encode(d)));
    const same = ids.every((x, k) => x.length === reference[k]!.length && x.every((v, i) => v === reference[k]![i]));
    const seconds = await bestOf(2, async () => {
      for (const d of docs) await c.encode(d);
    });
    const rate = bytes / 1e6 / seconds;
    if (c.name.startsWith('tfkit')) tfkitRate = rate;
    rows.push([model, c.name, rate.toFixed(2), same ? 'yes' : 'NO']);
  }
  for (const r of rows) r.push(r[1]!.startsWith('tfkit') ? '1.00×' : `${(tfkitRate / Number(r[2])).toFixed(2)}×`);
  return rows;
}

const gpt2 = await Tokenizer.fromPretrained(path.join(fixturesDir, 'tokenizers', 'gpt2'));
const bert = await Tokenizer.fromPretrained(path.join(fixturesDir, 'tokenizers', 'bert-base-uncased'));
const tiktoken = new Tiktoken(r50k);
const hfJsGpt2 = new HfJs(readJson('gpt2', 'tokenizer.json'), readJson('gpt2', 'tokenizer_config.json'));
const hfJsBert = new HfJs(readJson('bert-base-uncased', 'tokenizer.json'), readJson('bert-base-uncased', 'tokenizer_config.json'));
const rustGpt2 = hf.Tokenizer.fromFile(path.join(fixturesDir, 'tokenizers', 'gpt2', 'tokenizer.json'));
const rustBert = hf.Tokenizer.fromFile(path.join(fixturesDir, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));

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

console.log(`\nEncode throughput, ${(bytes / 1e6).toFixed(1)} MB of English books in ${docs.length} documents (~2 kB each), one call per document, best of 2.`);
console.log(`Machine: ${machine()}\n`);
console.log(table(['tokenizer', 'library', 'MB/s', 'same ids', 'tfkit speed-up'], rows));
