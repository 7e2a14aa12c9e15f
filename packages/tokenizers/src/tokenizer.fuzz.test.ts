/**
 * Fuzz suite (seeded): damaged tokenizer files and random inputs must end in a typed error
 * (TokenizerError, or the file source's CheckpointError for bytes that are not JSON/UTF-8) whose
 * message names the file and stays short, or in a tokenizer that encodes, decodes and saves —
 * never in a raw TypeError/RangeError, a crash or a case that runs longer than 10 s.
 *
 * Seeds are small versions of the real GPT-2 and BERT files plus variants that use every
 * component type. Each case has its own seed (`SEED + case`), so a failure names a case that
 * reproduces alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointError, Random } from '@tfkit/core-tensor/lite';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, Tokenizer, TokenizerError, type EncodeOptions } from './index.js';
import { mutateBytes, mutateTree, pick, type Json } from './test-mutate.js';
import { fuzzSeeds } from './test-seeds.js';
import { randomText, randomUnits } from './test-random.js';

const SEED = 20_240_611;
const CASE_LIMIT_MS = 10_000;
const MAX_MESSAGE = 400;
const TREE_CASES = 2400;
const BYTE_CASES = 500;
const PLAIN_CASES = 300;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-tok-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Obj = { [key: string]: Json };
const SEEDS = fuzzSeeds();

/** Whether `error` is one the package may throw; a message naming no file (for load errors) or too long fails. */
function checkError(error: unknown, where: string, fileHint: string | null, fileErrorsOk = false): string | null {
  const typed = error instanceof TokenizerError || (fileErrorsOk && error instanceof CheckpointError);
  const message = error instanceof Error ? error.message : String(error);
  if (!typed) return `${where}: untyped ${(error as Error)?.name ?? typeof error}: ${message.slice(0, 200)}`;
  if (message.length > MAX_MESSAGE) return `${where}: message of ${message.length} characters: ${message.slice(0, 120)}…`;
  if (fileHint !== null && !message.includes(fileHint)) return `${where}: message does not name ${fileHint}: ${message.slice(0, 200)}`;
  return null;
}

const OPTIONS: EncodeOptions[] = [
  {},
  { addSpecialTokens: false },
  { textPair: 'the second text, 2nd' },
  { truncation: true, maxLength: 7, stride: 2 },
  { textPair: 'pair here', truncation: 'only_second', maxLength: 12 },
  { padding: 'max_length', maxLength: 40, padTokenId: 0 },
  { truncation: 'longest_first', maxLength: 9, padding: true, padToMultipleOf: 4, padTokenId: 0, paddingSide: 'left' },
];

/** Encodes, decodes and round-trips a loaded tokenizer; typed errors are fine, anything else is reported. */
function exercise(tok: Tokenizer, rng: Random, where: string, failures: string[]): void {
  const specials = tok.allSpecialTokens;
  for (let k = 0; k < 3; k++) {
    const text = rng.random() < 0.7 ? randomText(rng, 1 + rng.int(12), specials) : randomUnits(rng, 1 + rng.int(24));
    const options = pick(rng, OPTIONS);
    let ids: number[] = [];
    try {
      const enc = tok.encode(text, options);
      ids = enc.ids;
      void enc.tokens;
      for (const o of enc.overflowing ?? []) void o.ids;
    } catch (error) {
      const problem = checkError(error, `${where}: encode`, null);
      if (problem) failures.push(problem);
    }
    const junk = [-1, 0.5, 2 ** 31, 1e9, tok.vocabSize, tok.vocabSize - 1, rng.int(Math.max(1, Math.min(tok.vocabSize, 1e6)))];
    try {
      tok.decode([...ids, ...junk], { skipSpecialTokens: rng.random() < 0.5, cleanUpTokenizationSpaces: rng.random() < 0.5 });
    } catch (error) {
      const problem = checkError(error, `${where}: decode`, null);
      if (problem) failures.push(problem);
    }
  }
  // What a loaded tokenizer saves must load again and encode alike.
  try {
    const again = Tokenizer.fromJSON(tok.toJSON(), tok.toConfigJSON());
    const text = randomText(rng, 6, specials);
    let mine: number[] | string;
    let theirs: number[] | string;
    try {
      mine = tok.encode(text).ids;
    } catch (error) {
      mine = (error as Error).message;
    }
    try {
      theirs = again.encode(text).ids;
    } catch (error) {
      theirs = (error as Error).message;
    }
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) failures.push(`${where}: saved and reloaded tokenizer encodes differently`);
  } catch (error) {
    failures.push(`${where}: toJSON → fromJSON failed: ${(error as Error)?.name}: ${String((error as Error)?.message).slice(0, 200)}`);
  }
}

/** Runs `fn`, reporting an untyped error (or a load error not naming `fileHint`) and a case slower than CASE_LIMIT_MS. */
async function runCase(where: string, fileHint: string, failures: string[], fn: () => Promise<Tokenizer> | Tokenizer, rng: Random, fileErrorsOk = false): Promise<'loaded' | 'rejected'> {
  const start = performance.now();
  let outcome: 'loaded' | 'rejected' = 'rejected';
  try {
    const tok = await fn();
    outcome = 'loaded';
    exercise(tok, rng, where, failures);
  } catch (error) {
    const problem = checkError(error, `${where}: load`, fileHint, fileErrorsOk);
    if (problem) failures.push(problem);
  }
  const ms = performance.now() - start;
  if (ms > CASE_LIMIT_MS) failures.push(`${where}: took ${(ms / 1000).toFixed(1)} s`);
  return outcome;
}

function report(failures: string[], counts: Record<string, number>): string {
  return `${failures.length} problems (${JSON.stringify(counts)}):\n${failures.slice(0, 15).join('\n')}`;
}

describe('fuzzed tokenizer files', () => {
  it(`structural mutations of tokenizer.json and tokenizer_config.json (${TREE_CASES} cases)`, { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const counts = { loaded: 0, rejected: 0 };
    for (let i = 0; i < TREE_CASES; i++) {
      const rng = new Random(SEED + i);
      const seed = SEEDS[i % SEEDS.length]!;
      const mutateConfig = rng.random() < 0.2;
      const json = mutateConfig ? seed.json : (structuredClone(seed.json) as Json);
      const config = mutateConfig ? (structuredClone(seed.config) as Json) : seed.config;
      const target = mutateConfig ? config : json;
      const what = Array.from({ length: 1 + rng.int(3) }, () => mutateTree(rng, target)).join('; ');
      const where = `case ${i} (${seed.name}; ${mutateConfig ? 'tokenizer_config.json' : 'tokenizer.json'} ${what})`;
      const outcome = await runCase(where, mutateConfig ? 'tokenizer_config.json' : 'tokenizer.json', failures, () => Tokenizer.fromJSON(json, config), rng);
      counts[outcome]++;
      // `loadTokenizer` (the lean entry's) walks the file for its component types first: it must end as fromJSON does.
      const end = async (fn: () => unknown): Promise<string> => {
        try {
          await fn();
          return 'loaded';
        } catch (error) {
          return `${(error as Error)?.name}: ${(error as Error)?.message}`;
        }
      };
      const [sync, lazy] = [await end(() => Tokenizer.fromJSON(json, config)), await end(() => loadTokenizer(json, config))];
      if (sync !== lazy) failures.push(`${where}: fromJSON ended in ${sync.slice(0, 120)}, loadTokenizer in ${lazy.slice(0, 120)}`);
    }
    expect(failures, report(failures, counts)).toEqual([]);
    // The mutations must reach past the first check often enough to mean something.
    expect(counts.rejected).toBeGreaterThan(TREE_CASES * 0.2);
    expect(counts.loaded).toBeGreaterThan(TREE_CASES * 0.2);
  });

  it(`damaged bytes of tokenizer.json and tokenizer_config.json, through fromPretrained (${BYTE_CASES} cases)`, { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const counts = { loaded: 0, rejected: 0 };
    for (let i = 0; i < BYTE_CASES; i++) {
      const rng = new Random(SEED + 1_000_000 + i);
      const seed = SEEDS[i % SEEDS.length]!;
      const dir = path.join(tmp, `bytes-${i % 8}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const damageConfig = rng.random() < 0.25;
      const file = damageConfig ? 'tokenizer_config.json' : 'tokenizer.json';
      const { bytes, what } = mutateBytes(rng, JSON.stringify(damageConfig ? seed.config : seed.json));
      fs.writeFileSync(path.join(dir, file), bytes);
      fs.writeFileSync(path.join(dir, damageConfig ? 'tokenizer.json' : 'tokenizer_config.json'), JSON.stringify(damageConfig ? seed.json : seed.config));
      const where = `case ${i} (${seed.name}; ${file} ${what})`;
      counts[await runCase(where, path.join(dir, file), failures, () => Tokenizer.fromPretrained(dir), rng, true)]++;
    }
    expect(failures, report(failures, counts)).toEqual([]);
    expect(counts.rejected).toBeGreaterThan(BYTE_CASES * 0.2);
  });

  it(`damaged plain vocab files: vocab.json + merges.txt, vocab.txt (${PLAIN_CASES} cases)`, { timeout: 600_000 }, async () => {
    const gpt2 = SEEDS[0]!.json['model'] as Obj;
    const bert = SEEDS[1]!.json['model'] as Obj;
    const plain: Record<string, string>[] = [
      { 'vocab.json': JSON.stringify(gpt2['vocab']), 'merges.txt': `#version: 0.2\n${(gpt2['merges'] as [string, string][]).map((m) => m.join(' ')).join('\n')}\n` },
      { 'vocab.txt': `${Object.entries(bert['vocab'] as Record<string, number>).sort((a, b) => a[1] - b[1]).map(([t]) => t).join('\n')}\n` },
    ];
    const failures: string[] = [];
    const counts = { loaded: 0, rejected: 0 };
    for (let i = 0; i < PLAIN_CASES; i++) {
      const rng = new Random(SEED + 2_000_000 + i);
      const files = plain[i % 2]!;
      const dir = path.join(tmp, `plain-${i % 8}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const damaged = pick(rng, Object.keys(files));
      let what = '';
      for (const [name, text] of Object.entries(files)) {
        if (name !== damaged) fs.writeFileSync(path.join(dir, name), text);
        else if (name === 'vocab.json' && rng.random() < 0.5) {
          const tree = JSON.parse(text) as Json;
          what = mutateTree(rng, tree);
          fs.writeFileSync(path.join(dir, name), JSON.stringify(tree));
        } else {
          const m = mutateBytes(rng, text);
          what = m.what;
          fs.writeFileSync(path.join(dir, name), m.bytes);
        }
      }
      const where = `case ${i} (${damaged} ${what})`;
      counts[await runCase(where, path.join(dir, damaged), failures, () => Tokenizer.fromPretrained(dir), rng, true)]++;
    }
    expect(failures, report(failures, counts)).toEqual([]);
  });
});
