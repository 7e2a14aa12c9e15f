/**
 * A small, seeded fuzzing harness for the `*.fuzz.test.ts` suites: hostile values, a generator of
 * random nested inputs, and `fuzzCases`, which runs cases one by one and fails on anything but a
 * typed error — an untyped error (a raw TypeError, a backend's message, a wasm trap), a case that
 * takes longer than the time limit, or a case after which `tf.memory().numTensors` changed.
 *
 * A case that truly hangs blocks the event loop (forward passes are synchronous) until the test's
 * own timeout; a case that merely takes long is caught by the per-case limit.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Seeded uniform numbers (mulberry32): the same seed gives the same cases on every machine. */
export class FuzzRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Values no model input or config should take, of every JavaScript type. */
export const HOSTILE_VALUES: readonly unknown[] = [
  -1, -100, 0.5, -0.5, 1e9, -1e9, 2 ** 31, 2 ** 53, 1e300, Infinity, -Infinity, NaN, -0,
  '', '1', 'abc', 'toString', '__proto__', null, undefined, true, false, {}, [], [[]], [1, 2], { length: 3 }, () => 1, Symbol('s'), 10n,
];

/** A random `[rows, cols]` array of integers in [low, high). */
export function intMatrix(rng: FuzzRandom, rows: number, cols: number, low: number, high: number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.int(low, high - 1)));
}

/**
 * One random mutation of a valid `[rows][cols]` integer array: a hostile value at a random entry, a
 * ragged or empty batch, a wrong rank, a non-array, or a tensor (of any dtype, possibly disposed).
 * Tensors it makes are pushed to `made`, for the caller to dispose.
 */
export function mutateIntArray(rng: FuzzRandom, valid: number[][], made: tf.Tensor[]): unknown {
  const rows = valid.map((r) => [...r]);
  const kind = rng.int(0, 13);
  switch (kind) {
    case 0: {
      const row = rng.int(0, rows.length - 1);
      const col = rng.int(0, Math.max(0, (rows[row] as number[]).length - 1));
      (rows[row] as unknown[])[col] = rng.pick(HOSTILE_VALUES);
      return rows;
    }
    case 1:
      if (rows.length > 1) (rows[rng.int(1, rows.length - 1)] as number[]).pop();
      else rows.push([]);
      return rows;
    case 2:
      return rng.pick([[], [[]], [[], []]]);
    case 3:
      return rows[0];
    case 4:
      return [rows];
    case 5:
      return rng.pick(HOSTILE_VALUES);
    case 6: {
      const t = tf.tensor(rows, undefined, rng.pick(['int32', 'float32', 'bool'] as const));
      made.push(t);
      return t;
    }
    case 7: {
      const t = tf.tensor(rows.flat(), undefined, 'int32');
      made.push(t);
      return t;
    }
    case 8: {
      const t = tf.tensor2d(rows.map((r) => r.map((v) => v + rng.pick([0.5, 1e6, -1e6, NaN]))), undefined, 'float32');
      made.push(t);
      return t;
    }
    case 9: {
      const t = tf.tensor2d(rows);
      t.dispose();
      return t;
    }
    case 10: {
      const t = tf.tensor(rows.flat().map(String), [rows.length, (rows[0] as number[]).length], 'string');
      made.push(t);
      return t;
    }
    case 11:
      return rows.map((r) => [...r, ...r, ...r, ...r, ...r, ...r]);
    case 12:
      return rows.map((r) => r.map((v) => [v]));
    default:
      return rows;
  }
}

export interface FuzzReport {
  cases: number;
  /** Cases that succeeded. */
  passed: number;
  /** Cases that ended in a typed error, by error name. */
  typed: Record<string, number>;
  /** Everything else, one line each (case index, what happened). */
  failures: string[];
}

export interface FuzzOptions<C> {
  seed: number;
  cases: number;
  /** Makes case `i`; tensors it allocates go to `made` and are disposed after the case. */
  make(rng: FuzzRandom, i: number, made: tf.Tensor[]): C;
  /** Runs a case; what it returns is disposed (tensors anywhere inside it). */
  run(c: C): unknown;
  /** Whether an error is a typed tfkit error (e.g. `e instanceof TfkitError`). */
  isTyped(error: unknown): boolean;
  /** Longest a case may take (default 10 s). */
  limitMs?: number;
  /** How a failing case is described (default: JSON of the case, cut short). */
  describe?(c: C): string;
}

/** A case as short JSON (tensors as `<dtype[shape]>`, bigints and non-finite numbers spelled out). */
export function showCase(c: unknown): string {
  try {
    const text = JSON.stringify(c, (_k, v: unknown) => (v instanceof tf.Tensor ? `<${v.dtype}[${v.shape}]${v.isDisposed ? ' disposed' : ''}>` : typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    return text === undefined ? String(c) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(c);
  }
}

function disposeAll(value: unknown): void {
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof tf.Tensor) {
      if (!v.isDisposed && !(v instanceof tf.Variable)) v.dispose();
    } else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      stack.push(...(Array.isArray(v) ? v : Object.values(v)));
    }
  }
}

/**
 * Runs `cases` seeded cases (async so results of promises are awaited) and reports what happened;
 * the caller asserts `failures` is empty. Every case must leave `tf.memory().numTensors` as it found it.
 */
export async function fuzzCases<C>(options: FuzzOptions<C>): Promise<FuzzReport> {
  const rng = new FuzzRandom(options.seed);
  const limit = options.limitMs ?? 10_000;
  const report: FuzzReport = { cases: options.cases, passed: 0, typed: {}, failures: [] };
  for (let i = 0; i < options.cases; i++) {
    const before = tf.memory().numTensors;
    const made: tf.Tensor[] = [];
    const c = options.make(rng, i, made);
    const start = performance.now();
    let outcome = 'ok';
    try {
      disposeAll(await options.run(c));
      report.passed++;
    } catch (error) {
      if (options.isTyped(error)) {
        const name = (error as Error).name;
        report.typed[name] = (report.typed[name] ?? 0) + 1;
      } else {
        outcome = `untyped ${(error as Error)?.name ?? typeof error}: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
      }
    }
    const ms = performance.now() - start;
    for (const t of made) if (!t.isDisposed) t.dispose();
    const leaked = tf.memory().numTensors - before;
    const problems = [outcome === 'ok' ? '' : outcome, ms > limit ? `took ${(ms / 1000).toFixed(1)} s` : '', leaked ? `${leaked} tensors leaked` : ''].filter(Boolean);
    if (problems.length) report.failures.push(`case ${i}: ${problems.join('; ')} — ${(options.describe ?? showCase)(c)}`);
  }
  return report;
}

/** Values a `config.json` can hold that no config key should accept (or only some). */
export const HOSTILE_JSON_VALUES: readonly unknown[] = [
  -1, 0, 0.5, -0.5, 1e-30, 1e9, -1e9, 2 ** 31, 2 ** 53, 1e300, -1e300, '', '1', 'abc', 'gelu', 'toString', '__proto__', 'constructor',
  null, true, false, {}, [], [1, 2], [[1]], { '0': 'a' }, { length: 3 },
];

/** Sizes that are plausible, off by one, or absurd. */
export const SIZE_VALUES: readonly number[] = [1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 64, 100, 999, 1000, 1001, 5000, 100_000, 3e7, 2 ** 31];

/**
 * A mutated copy of a `config.json` object: one to three of its keys (or of `extraKeys`) set to a
 * hostile value or a size, or deleted. Only JSON values are used, so the result can be written as a file.
 */
export function mutateConfig(rng: FuzzRandom, config: Record<string, unknown>, extraKeys: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  const keys = [...Object.keys(config), ...extraKeys];
  const n = rng.int(1, 3);
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys);
    const r = rng.next();
    if (r < 0.15) delete out[key];
    else if (r < 0.55) out[key] = rng.pick(SIZE_VALUES);
    else out[key] = rng.pick(HOSTILE_JSON_VALUES);
  }
  return out;
}
