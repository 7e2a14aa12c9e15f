/**
 * Fuzzing the checkpoint loaders: seeded bit flips, truncations and structural mutations of
 * safetensors files (header length, header JSON, dtypes, shapes, offsets, metadata, data),
 * sharded indexes and config.json, read through the public loading functions from a directory
 * and through the hub (a 127.0.0.1 server that also lies about lengths and cuts bodies short).
 *
 * Every case must either load or fail with a typed `TfkitError`; a case over 10 s fails, and so
 * does a leaked tensor or a bad file left in the hub cache. Rerun one seed with TFKIT_FUZZ_SEED.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoModel } from '../auto-model.js';
import { TfkitError } from '../errors.js';
import type { Checkpoint } from '../model-types.js';
import { Random } from '../random.js';
import { createRegistry } from '../registry/registry.js';
import { checkSafetensorsHeader, parseSafetensors, safetensorsHeaderLength, serializeSafetensors, type RawTensorInput } from '../safetensors/format.js';
import { readSafetensorsTensors, safetensorsToTensors } from '../safetensors/tensors.js';
import { loadCheckpoint } from './checkpoint.js';

const SEED = Number(process.env['TFKIT_FUZZ_SEED'] ?? 20261205);
const CASE_LIMIT_MS = 10_000;

// ---------------------------------------------------------------- the valid files mutated below

const TENSORS: Record<string, RawTensorInput> = {
  'embed.weight': { dtype: 'F32', shape: [6, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1) },
  'layer.0.bias': { dtype: 'F16', shape: [4], data: new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]) },
  'layer.0.scale': { dtype: 'BF16', shape: [2, 2], data: new Uint16Array([0x3f80, 0xc040, 0x0000, 0x7f80]) },
  'layer.1.weight': { dtype: 'F64', shape: [3], data: new Float64Array([1.5, -2.25, 1e300]) },
  position_ids: { dtype: 'I64', shape: [1, 5], data: new BigInt64Array([0n, 1n, 2n, 3n, 4n]) },
  token_type: { dtype: 'I32', shape: [2], data: new Int32Array([0, 1]) },
  small: { dtype: 'I16', shape: [], data: new Int16Array([-3]) },
  bytes: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
  signed: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
  mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
  empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
};
const WEIGHTS = serializeSafetensors(TENSORS, { format: 'pt', note: 'fuzz' });
const SHARD_1 = serializeSafetensors(Object.fromEntries(Object.entries(TENSORS).slice(0, 5)), { format: 'pt' });
const SHARD_2 = serializeSafetensors(Object.fromEntries(Object.entries(TENSORS).slice(5)), { format: 'pt' });
const SHARD_NAMES = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'] as const;
const INDEX = {
  metadata: { total_size: 1234 },
  weight_map: Object.fromEntries(Object.keys(TENSORS).map((name, i) => [name, SHARD_NAMES[i < 5 ? 0 : 1]])),
};
const CONFIG = {
  architectures: ['FuzzForTesting'],
  model_type: 'fuzz',
  hidden_size: 4,
  num_hidden_layers: 2,
  id2label: { '0': 'NEG', '1': 'POS' },
  layer_norm_eps: 1e-12,
  task_specific_params: { summarization: { max_length: 20 } },
};

// ---------------------------------------------------------------- mutations

const encoder = new TextEncoder();
const WEIRD_VALUES: unknown[] = [
  null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, '', 'F8_E4M3', 'f32', '__proto__', 'constructor', 'toString', [], [[]], [1, 2, 3],
  {}, JSON.parse('{"__proto__": 1}'), 'x'.repeat(1000), '\u0000', '\ud800', [-1], [0.5], ['1'], [2 ** 31, 2 ** 31], [1e16, 1e16],
];
const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E5M2', 'U64', 'C64', 'bool'];

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

function flipBits(rng: Random, bytes: Uint8Array, focus = bytes.length): Uint8Array {
  const out = bytes.slice();
  for (let k = 1 + rng.int(8); k > 0 && out.length; k--) {
    const at = rng.random() < 0.7 ? rng.int(Math.min(focus, out.length)) : rng.int(out.length);
    out[at] = (out[at] as number) ^ (1 << rng.int(8));
  }
  return out;
}

function truncate(rng: Random, bytes: Uint8Array, focus = bytes.length): Uint8Array {
  return bytes.subarray(0, rng.random() < 0.6 ? rng.int(Math.min(focus, bytes.length) + 1) : rng.int(bytes.length + 1));
}

function headerOf(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>, data: bytes.subarray(8 + n) };
}

/** A file from header text and data, with a correct (or lying) length field. */
function assemble(headerText: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  let header = encoder.encode(headerText);
  if (lengthField === undefined) {
    const padded = new Uint8Array(Math.ceil(header.length / 8) * 8).fill(0x20);
    padded.set(header);
    header = padded;
  }
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** One structural change to the header JSON (an entry's dtype, shape, offsets, fields, names) or its framing. */
function mutateStructure(rng: Random, bytes: Uint8Array): Uint8Array {
  const { header, data } = headerOf(bytes);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = pick(rng, names);
  const entry = { ...(header[name] as Record<string, unknown>) };
  let text: string | undefined;
  let newData = data;
  switch (rng.int(14)) {
    case 0:
      entry['dtype'] = rng.random() < 0.6 ? pick(rng, DTYPES) : pick(rng, WEIRD_VALUES);
      break;
    case 1: {
      const shape = [...(entry['shape'] as number[])];
      if (shape.length && rng.random() < 0.5) shape[rng.int(shape.length)] = rng.random() < 0.5 ? rng.int(50) - 5 : (pick(rng, WEIRD_VALUES) as number);
      else if (rng.random() < 0.5) shape.push(rng.int(4));
      else shape.pop();
      entry['shape'] = rng.random() < 0.9 ? shape : pick(rng, WEIRD_VALUES);
      break;
    }
    case 2: {
      const [begin, end] = entry['data_offsets'] as [number, number];
      const delta = () => pick(rng, [-8, -4, -2, -1, 1, 2, 4, 8, 1000, 2 ** 40]);
      entry['data_offsets'] = pick(rng, [[begin + delta(), end], [begin, end + delta()], [end, begin], [begin + delta(), end + delta()], [begin], [begin, end, end], [-begin, end], pick(rng, WEIRD_VALUES)]);
      break;
    }
    case 3:
      delete entry[pick(rng, ['dtype', 'shape', 'data_offsets'])];
      break;
    case 4:
      entry[pick(rng, ['extra', '__proto__', 'constructor', 'offsets'])] = pick(rng, WEIRD_VALUES);
      break;
    case 5: {
      // Rename a tensor (possibly to a name that is special somewhere).
      const renamed = pick(rng, ['__proto__', 'constructor', 'toString', '__metadata__', '', '0', 'x'.repeat(300), 'embed.weight', '\u00e9\u{1f600}']);
      text = JSON.stringify(header).replace(JSON.stringify(name), JSON.stringify(renamed));
      break;
    }
    case 6:
      // The same tensor twice (JSON.parse would keep the last).
      text = JSON.stringify(header).replace(/}$/, `,${JSON.stringify(name)}:${JSON.stringify(entry)}}`);
      break;
    case 7:
      header['__metadata__'] = pick<unknown>(rng, [{ format: 5 }, { format: { nested: 'x' } }, [], 'pt', null, JSON.parse('{"__proto__": "x"}'), { constructor: 'y' }, { ok: 'fine' }]);
      break;
    case 8:
      text = JSON.stringify(pick(rng, [[], 5, 'header', null, true, { a: 1 }]));
      newData = rng.random() < 0.5 ? data : new Uint8Array(0);
      break;
    case 9:
      text = '['.repeat(1 + rng.int(100_000)) + (rng.random() < 0.5 ? ']'.repeat(rng.int(1000)) : '');
      break;
    case 10: {
      // Length field lies; header text intact.
      const raw = JSON.stringify(header);
      const length = pick(rng, [0n, 1n, 7n, BigInt(raw.length - 1), BigInt(raw.length + 1), BigInt(raw.length + data.length), 2n ** 63n, 2n ** 64n - 1n, 100_000_001n]);
      return assemble(raw, data, length);
    }
    case 11:
      // Data section shortened or lengthened under an intact header.
      newData = rng.random() < 0.5 ? data.subarray(0, Math.max(0, data.length - 1 - rng.int(16))) : (() => {
        const longer = new Uint8Array(data.length + 1 + rng.int(16));
        longer.set(data);
        return longer;
      })();
      break;
    case 12: {
      // BOOL values other than 0/1, and NaN/Inf patterns in float data.
      newData = data.slice();
      for (let k = 0; k < 4 && newData.length; k++) newData[rng.int(newData.length)] = pick(rng, [2, 255, 0x7f, 0xff, 0x80]);
      break;
    }
    default:
      // Non-UTF-8 or control bytes inside the header.
      text = JSON.stringify(header);
      return assemble(text, data, undefined).map((b, i) => (i > 8 && i < 8 + text!.length && rng.random() < 0.02 ? pick(rng, [0x00, 0xff, 0xc3, 0x22, 0x5c]) : b));
  }
  if (text === undefined) {
    header[name] = entry;
    text = JSON.stringify(header);
  }
  return assemble(text, newData);
}

/** A mutated safetensors file: bit flips, truncation, appended bytes or a structural change. */
function mutateSafetensors(rng: Random, bytes: Uint8Array): Uint8Array {
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  switch (rng.int(5)) {
    case 0:
      return flipBits(rng, bytes, headerEnd);
    case 1:
      return truncate(rng, bytes, headerEnd);
    case 2: {
      const out = new Uint8Array(bytes.length + 1 + rng.int(64));
      out.set(bytes);
      for (let i = bytes.length; i < out.length; i++) out[i] = rng.int(256);
      return out;
    }
    default:
      return mutateStructure(rng, bytes);
  }
}

/** A mutated JSON document: text-level flips and truncations, or a value replaced somewhere in the tree. */
function mutateJson(rng: Random, value: unknown): Uint8Array {
  const text = JSON.stringify(value, null, 2);
  switch (rng.int(4)) {
    case 0:
      return flipBits(rng, encoder.encode(text));
    case 1:
      return truncate(rng, encoder.encode(text));
    case 2: {
      const prefixes = ['\ufeff', '\u0000', '  ', '// comment\n', '{"a":1}'];
      return encoder.encode(rng.random() < 0.5 ? pick(rng, prefixes) + text : text + pick(rng, prefixes));
    }
    default: {
      const clone = JSON.parse(text) as unknown;
      const paths: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
      const walk = (node: unknown) => {
        if (node && typeof node === 'object') {
          for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
            paths.push({ parent: node as Record<string, unknown>, key });
            walk((node as Record<string | number, unknown>)[key]);
          }
        }
      };
      walk(clone);
      if (!paths.length || rng.random() < 0.1) return encoder.encode(JSON.stringify(pick(rng, WEIRD_VALUES)));
      const { parent, key } = pick(rng, paths);
      if (rng.random() < 0.2) delete (parent as Record<string | number, unknown>)[key];
      else (parent as Record<string | number, unknown>)[key] = pick(rng, WEIRD_VALUES);
      return encoder.encode(JSON.stringify(clone));
    }
  }
}

// ---------------------------------------------------------------- running cases

interface Failure {
  case: string;
  problem: string;
}

/** Runs one case: any error must be typed, and the case must finish within CASE_LIMIT_MS. */
async function runCase(label: string, failures: Failure[], body: () => Promise<void> | void): Promise<void> {
  const start = performance.now();
  try {
    await body();
  } catch (error) {
    if (!(error instanceof TfkitError)) failures.push({ case: label, problem: `untyped ${(error as Error)?.name}: ${(error as Error)?.message}`.slice(0, 300) });
  }
  const ms = performance.now() - start;
  if (ms > CASE_LIMIT_MS) failures.push({ case: label, problem: `took ${Math.round(ms)} ms` });
}

function disposeCheckpoint(checkpoint: Checkpoint): void {
  checkpoint.weights.forEach((t) => t.dispose());
}

const registry = createRegistry();
registry.model.register('fuzz', {
  architectures: {
    FuzzForTesting: {
      fromCheckpoint: () => ({ modelType: 'fuzz', architecture: 'FuzzForTesting', savePretrained: async () => undefined, dispose: () => undefined }),
    },
  },
  defaultArchitecture: 'FuzzForTesting',
});

/** Loads `dir` as a checkpoint and builds it through AutoModel; tensors are always disposed. */
async function loadAndBuild(source: string, options = {}): Promise<void> {
  const checkpoint = await loadCheckpoint(source, options);
  try {
    (await AutoModel.fromCheckpoint(checkpoint, { registry })).dispose();
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-fuzz-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function writeCheckpoint(dir: string, files: Record<string, Uint8Array | string>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
}

/** Outcome of reading `bytes` whole: its tensors' dtypes, shapes and values, or its error's class and message. */
function outcome(read: () => Map<string, tf.Tensor>): string {
  try {
    const tensors = read();
    const text = JSON.stringify([...tensors].map(([name, t]) => [name, t.dtype, t.shape, Array.from(t.dataSync(), (v) => (Number.isNaN(v) ? 'NaN' : v))]));
    tensors.forEach((t) => t.dispose());
    return text;
  } catch (error) {
    return `${error instanceof TfkitError ? error.code : 'untyped'}: ${(error as Error).message}`;
  }
}

/** Why reading `bytes` a tensor at a time (as from a local folder) differs from reading them whole, or undefined. */
async function rangedDiffers(bytes: Uint8Array): Promise<string | undefined> {
  const whole = outcome(() => safetensorsToTensors(bytes.slice(), 'fuzz.safetensors').tensors);
  let ranged: Map<string, tf.Tensor> | Error;
  try {
    ranged = (await readSafetensorsTensors({ size: bytes.byteLength, read: async (p, l) => bytes.slice(p, p + l), close: async () => undefined }, 'fuzz.safetensors')).tensors;
  } catch (error) {
    ranged = error as Error;
  }
  const rangedOutcome = outcome(() => {
    if (ranged instanceof Error) throw ranged;
    return ranged;
  });
  return rangedOutcome === whole ? undefined : `ranged read: ${rangedOutcome.slice(0, 200)}; whole: ${whole.slice(0, 200)}`;
}

function report(failures: Failure[]): string {
  return failures
    .slice(0, 10)
    .map((f) => `${f.case}: ${f.problem}`)
    .join('\n');
}

describe(`checkpoint fuzzing (seed ${SEED})`, () => {
  it('the unmutated files load (the mutations start from valid input)', async () => {
    const dir = path.join(root, 'valid');
    writeCheckpoint(dir, { 'config.json': JSON.stringify(CONFIG), 'model.safetensors': WEIGHTS });
    await loadAndBuild(dir);
    writeCheckpoint(dir, { 'config.json': JSON.stringify(CONFIG), 'model.safetensors.index.json': JSON.stringify(INDEX), [SHARD_NAMES[0]]: SHARD_1, [SHARD_NAMES[1]]: SHARD_2 });
    await loadAndBuild(dir);
    expect(parseSafetensors(WEIGHTS).tensors.size).toBe(Object.keys(TENSORS).length);
  });

  it('2000 mutated model.safetensors files: parsed, converted and loaded from a directory', async () => {
    const rng = new Random(SEED);
    const failures: Failure[] = [];
    const dir = path.join(root, 'weights');
    writeCheckpoint(dir, { 'config.json': JSON.stringify(CONFIG) });
    const before = tf.memory().numTensors;
    let loaded = 0;
    for (let n = 0; n < 2000; n++) {
      const bytes = mutateSafetensors(rng, WEIGHTS);
      await runCase(`weights #${n}`, failures, () => {
        parseSafetensors(bytes, 'fuzz.safetensors');
      });
      await runCase(`weights #${n} (tensors)`, failures, () => {
        safetensorsToTensors(bytes.slice(), 'fuzz.safetensors').tensors.forEach((t) => t.dispose());
      });
      await runCase(`weights #${n} (ranged)`, failures, async () => {
        const problem = await rangedDiffers(bytes);
        if (problem) failures.push({ case: `weights #${n} (ranged)`, problem });
      });
      if (n % 4 === 0) {
        fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes);
        await runCase(`weights #${n} (loadCheckpoint)`, failures, async () => {
          await loadAndBuild(dir);
          loaded++;
        });
      }
    }
    expect(report(failures)).toBe('');
    expect(tf.memory().numTensors).toBe(before);
    expect(loaded).toBeGreaterThan(0); // some mutations stay valid (e.g. flipped data bits)
  }, 300_000);

  it('1500 mutated config.json, generation_config.json and index files', async () => {
    const rng = new Random(SEED + 1);
    const failures: Failure[] = [];
    const dir = path.join(root, 'configs');
    const before = tf.memory().numTensors;
    for (let n = 0; n < 1500; n++) {
      const target = pick(rng, ['config', 'config', 'generation', 'index', 'shard'] as const);
      const files: Record<string, Uint8Array | string> = { 'config.json': JSON.stringify(CONFIG) };
      if (target === 'config') files['config.json'] = mutateJson(rng, CONFIG);
      if (target === 'generation') files['generation_config.json'] = mutateJson(rng, { max_length: 20, do_sample: false });
      if (target === 'index' || target === 'shard') {
        files['model.safetensors.index.json'] = target === 'index' ? mutateJson(rng, INDEX) : JSON.stringify(INDEX);
        files[SHARD_NAMES[0]] = target === 'shard' && rng.random() < 0.5 ? mutateSafetensors(rng, SHARD_1) : SHARD_1;
        files[SHARD_NAMES[1]] = target === 'shard' && rng.random() < 0.5 ? mutateSafetensors(rng, SHARD_2) : SHARD_2;
      } else files['model.safetensors'] = WEIGHTS;
      writeCheckpoint(dir, files);
      await runCase(`${target} #${n}`, failures, () => loadAndBuild(dir));
    }
    expect(report(failures)).toBe('');
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  describe('through the hub', () => {
    /** What the server answers for each file name: body, and how to frame it. */
    let served = new Map<string, { body: Uint8Array; length: 'exact' | 'none' | number; cutAt?: number }>();
    let server: http.Server;
    let base = '';
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const name = decodeURIComponent((req.url ?? '').split('/resolve/main/')[1] ?? '');
        const file = served.get(name);
        if (!file) return void res.writeHead(404).end();
        const headers: Record<string, number> = {};
        if (file.length === 'exact') headers['content-length'] = file.body.length;
        else if (typeof file.length === 'number') headers['content-length'] = file.length;
        res.writeHead(200, headers);
        if (req.method === 'HEAD') return void res.end();
        if (file.cutAt !== undefined) {
          res.write(file.body.subarray(0, file.cutAt));
          setTimeout(() => res.destroy(), 5);
        } else if (typeof file.length === 'number' && file.length > file.body.length) {
          res.write(file.body);
          setTimeout(() => res.destroy(), 5); // promised more than it sends
        } else res.end(file.body.subarray(0, typeof file.length === 'number' ? file.length : undefined));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );

    /** Every file in the cache must be complete and well-formed: bad downloads never get in. */
    function checkCache(cacheDir: string, label: string, failures: Failure[]): void {
      if (!fs.existsSync(cacheDir)) return;
      for (const file of fs.readdirSync(cacheDir, { recursive: true }) as string[]) {
        const full = path.join(cacheDir, file);
        if (!fs.statSync(full).isFile() || file.includes('.no_exist')) continue;
        if (file.endsWith('.tmp')) failures.push({ case: label, problem: `temporary file left in the cache: ${file}` });
        const bytes = new Uint8Array(fs.readFileSync(full));
        try {
          if (file.endsWith('.safetensors')) {
            // What the cache promises: a header consistent with the file's size (tensor values are the loader's business).
            const headerLength = safetensorsHeaderLength(bytes, bytes.length);
            checkSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.length - 8 - headerLength);
          }
          else if (file.endsWith('.json')) JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch (error) {
          failures.push({ case: label, problem: `invalid file cached: ${file} (${(error as Error).message.slice(0, 100)})` });
        }
      }
    }

    it('400 mutated or mis-framed downloads: typed errors, and nothing invalid cached', async () => {
      const rng = new Random(SEED + 2);
      const failures: Failure[] = [];
      const before = tf.memory().numTensors;
      for (let n = 0; n < 400; n++) {
        const weights = rng.random() < 0.5 ? mutateSafetensors(rng, WEIGHTS) : WEIGHTS;
        const config = rng.random() < 0.4 ? mutateJson(rng, CONFIG) : encoder.encode(JSON.stringify(CONFIG));
        const frame = (body: Uint8Array) => {
          const r = rng.random();
          if (r < 0.5) return { body, length: 'exact' as const };
          if (r < 0.7) return { body, length: 'none' as const };
          if (r < 0.85) return { body, length: 'exact' as const, cutAt: rng.int(body.length + 1) };
          return { body, length: Math.max(0, body.length + pick(rng, [-100, -8, -1, 1, 8, 100])) };
        };
        served = new Map([
          ['config.json', frame(config)],
          ['model.safetensors', frame(weights)],
        ]);
        const cacheDir = path.join(root, `hub-${n}`);
        await runCase(`hub #${n}`, failures, () => loadAndBuild('fuzz/model', { remoteHost: base, cacheDir, stallTimeout: 5_000 }));
        checkCache(cacheDir, `hub #${n}`, failures);
        // What the cache holds loads again without the network, or fails typed.
        await runCase(`hub #${n} (from the cache)`, failures, () => loadAndBuild('fuzz/model', { remoteHost: base, cacheDir, localFilesOnly: true }));
        fs.rmSync(cacheDir, { recursive: true, force: true });
      }
      expect(report(failures)).toBe('');
      expect(tf.memory().numTensors).toBe(before);
    }, 300_000);
  });
});
