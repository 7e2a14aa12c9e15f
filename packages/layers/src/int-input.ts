/**
 * Model inputs every family takes the same way — token ids, masks, positions, labels, pixels — as
 * a tensor or nested arrays, checked before anything runs: the rank and shape, no ragged or empty
 * batch, integers where integers are meant, and values inside the range the model has rows for.
 * A bad input is an `InputError` naming the argument and the entry (`inputIds[1][3] = 1000 is
 * outside the vocabulary [0, 1000)`), never a backend's gather error or a silently wrong answer.
 *
 * Cost: host arrays are walked once (the walk also builds the typed array the tensor is made
 * from). A tensor's values are read back (`dataSync`) on the cpu and wasm backends, where they
 * already live in host memory, and for small tensors anywhere; a large tensor on a GPU backend is
 * checked by one reduction on the device, so only one number crosses back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from './errors.js';

/** Integer inputs (ids, masks, positions): a tensor or nested arrays of integers. */
export type IntInput = tf.Tensor | number[][];

/** A range of integer values an input may hold, and how to say that a value is not in it. */
export interface IntRange {
  /** Smallest value allowed (default 0). */
  low?: number;
  /** One past the largest value allowed. */
  high: number;
  /** Completes `inputIds[1][3] = 1000 …`: e.g. `is outside the vocabulary [0, 1000) (vocab_size)`. */
  problem: string;
  /** Values allowed outside the range (−100: an ignored label). */
  allow?: readonly number[];
}

/** What one integer argument must look like. */
export interface IntInputSpec {
  /** The argument's name in messages (`inputIds`, `attentionMask`). */
  name: string;
  /** Accepted ranks (default `[2]`). */
  ranks?: readonly number[];
  /** Expected size of each axis; an array lists the sizes allowed (`[1, batch]` broadcasts); undefined: any. */
  shape?: readonly (number | readonly number[] | undefined)[];
  /** The values allowed (default: any integer). */
  range?: IntRange;
  /** Whether an axis of size 0 is allowed (default false: an empty batch or sequence is an error). */
  allowEmpty?: boolean;
}

/** Without a range of its own, an integer input must fit in int32 (it is stored as one). */
const INT32: IntRange = { low: -(2 ** 31), high: 2 ** 31, problem: 'does not fit in int32' };

/** Tensors at most this large are checked on the host on every backend. */
export const HOST_CHECK_ELEMENTS = 1 << 16;

/** What each rank means, for messages. */
const LAYOUT: Record<number, string> = { 1: '[batch]', 2: '[batch, length]', 3: '[batch, length, length]', 4: '[batch, channels, height, width]' };

function layout(ranks: readonly number[]): string {
  return ranks.map((r) => LAYOUT[r] ?? `${r}-D`).join(' or ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor`;
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)})`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value === 'number' ? 'the number' : `a ${typeof value}`} ${String(value)}`;
}

/** `name[i][j]…` for the flat position `flat` of an array of `shape`. */
function entry(name: string, shape: readonly number[], flat: number): { text: string; index: number[] } {
  const index = new Array<number>(shape.length).fill(0);
  for (let axis = shape.length - 1, rest = flat; axis >= 0; axis--) {
    const size = shape[axis] as number;
    index[axis] = size ? rest % size : 0;
    rest = size ? Math.floor(rest / size) : 0;
  }
  return { text: `${name}${index.map((i) => `[${i}]`).join('')}`, index };
}

/**
 * Nested arrays → their shape and leaves (in row-major order), walked level by level (no recursion,
 * so a hostile nesting depth cannot overflow the stack). Rows must be arrays of one length, leaves
 * numbers (or booleans, as 0/1), at a depth in `ranks`.
 */
export function hostArray(x: unknown[], name: string, where: string, ranks: readonly number[]): { shape: number[]; values: unknown[] } {
  const maxRank = Math.max(...ranks);
  const shape: number[] = [];
  let level: unknown[] = [x];
  for (;;) {
    if (!level.length || !Array.isArray(level[0])) break;
    if (shape.length === maxRank) {
      throw new InputError(`${where}: ${name} is nested deeper than ${layout(ranks)}`, { argument: name });
    }
    const length = (level[0] as unknown[]).length;
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i++) {
      const row = level[i];
      if (!Array.isArray(row)) {
        const at = entry(name, shape, i);
        throw new InputError(`${where}: ${at.text} is ${describe(row)}, expected a row (an array) like its neighbours`, { argument: name, index: at.index });
      }
      if (row.length !== length) {
        const at = entry(name, shape, i);
        const first = entry(name, shape, 0).text;
        throw new InputError(
          `${where}: ${name} is ragged: ${at.text} has ${row.length} entries, ${first} has ${length}; pad the rows to one length (and mark the padding in the attention mask)`,
          { argument: name, index: at.index },
        );
      }
      for (let j = 0; j < row.length; j++) next.push(row[j]);
    }
    shape.push(length);
    level = next;
  }
  // An empty array says nothing about the axes below it: `[]` is an empty batch of any rank.
  while (shape.includes(0) && shape.length < Math.min(...ranks)) shape.push(0);
  if (!ranks.includes(shape.length) && !shape.includes(0)) {
    throw new InputError(`${where}: ${name} must be ${layout(ranks)}, got an array of shape [${shape}]`, { argument: name });
  }
  for (let i = 0; i < level.length; i++) {
    const v = level[i];
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      const at = entry(name, shape, i);
      throw new InputError(`${where}: ${at.text} is ${describe(v)}, expected a number`, { argument: name, index: at.index });
    }
  }
  return { shape, values: level };
}

function checkShape(shape: readonly number[], spec: IntInputSpec, where: string, ranks: readonly number[]): void {
  const { name } = spec;
  if (!spec.allowEmpty && shape.includes(0)) {
    const what = shape[0] === 0 ? 'has no rows (an empty batch)' : 'has a row without entries (an empty sequence)';
    throw new InputError(`${where}: ${name} is [${shape}]: it ${what}; pass at least one row with at least one entry`, { argument: name });
  }
  if (!ranks.includes(shape.length)) throw new InputError(`${where}: ${name} must be ${layout(ranks)}, got [${shape}]`, { argument: name });
  spec.shape?.forEach((expected, axis) => {
    if (expected === undefined) return;
    const allowed = typeof expected === 'number' ? [expected] : expected;
    if (!allowed.includes(shape[axis] as number)) {
      const want = spec.shape!.map((e, a) => (e === undefined ? shape[a] : typeof e === 'number' ? e : e.join('|')));
      throw new InputError(`${where}: ${name} is [${shape}], expected [${want}]`, { argument: name });
    }
  });
}

/** The first entry that is not an integer in `range`, or −1. */
function firstBad(values: ArrayLike<unknown>, range: IntRange | undefined, integral: boolean): number {
  const low = range?.low ?? 0;
  const high = range?.high ?? Infinity;
  const allow = range?.allow ?? [];
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (integral && !Number.isInteger(v)) return i;
    if (range && !(v >= low && v < high) && !allow.includes(v)) return i;
  }
  return -1;
}

function badValue(values: ArrayLike<unknown>, i: number, shape: readonly number[], spec: IntInputSpec, where: string): InputError {
  const v = Number(values[i]);
  const at = entry(spec.name, shape, i);
  const problem = Number.isInteger(v) ? (spec.range as IntRange).problem : 'is not an integer';
  return new InputError(`${where}: ${at.text} = ${v} ${problem}`, { argument: spec.name, index: at.index });
}

/** One boolean from the device: whether any entry is not an integer in `range` (NaN included). */
function anyBadOnDevice(t: tf.Tensor, range: IntRange | undefined): boolean {
  const flag = tf.tidy(() => {
    const f = tf.cast(t, 'float32');
    let bad = tf.notEqual(f, tf.round(f));
    if (range) {
      let outside = tf.logicalOr(tf.less(f, range.low ?? 0), tf.greaterEqual(f, range.high));
      for (const a of range.allow ?? []) outside = tf.logicalAnd(outside, tf.notEqual(f, a));
      bad = tf.logicalOr(bad, outside);
    }
    return tf.any(bad);
  });
  const value = flag.dataSync()[0];
  flag.dispose();
  return value === 1;
}

/**
 * Checks a tensor's values against `spec`: on the host when `onHost` (default: the values live in
 * host memory, or the tensor is small), else by one reduction on the device first, reading the
 * values back only to name the bad entry.
 */
export function checkTensorValues(t: tf.Tensor, spec: IntInputSpec, where: string, onHost = t.size <= HOST_CHECK_ELEMENTS || ['cpu', 'wasm'].includes(tf.getBackend())): void {
  const integral = t.dtype !== 'int32' && t.dtype !== 'bool';
  if (!spec.range) {
    // int32 and bool tensors hold int32 values already; a float tensor must fit.
    if (!integral) return;
    spec = { ...spec, range: INT32 };
  }
  if (!onHost && !anyBadOnDevice(t, spec.range)) return;
  const values = t.dataSync();
  const i = firstBad(values, spec.range, integral);
  if (i >= 0) throw badValue(values, i, t.shape, spec, where);
}

/**
 * An int32 tensor for an integer input, checked against `spec` (created inside the caller's tidy;
 * an int32 tensor that passes is returned as is). Host arrays must be rectangular nested arrays
 * of integers; float or bool tensors must hold integers.
 */
export function intInput(x: unknown, spec: IntInputSpec, where: string): tf.Tensor {
  const ranks = spec.ranks ?? [2];
  const { name } = spec;
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new InputError(`${where}: ${name} is a disposed tensor`, { argument: name });
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new InputError(`${where}: ${name} is a ${x.dtype} tensor, expected integers (int32)`, { argument: name });
    }
    checkShape(x.shape, spec, where, ranks);
    checkTensorValues(x, spec, where);
    return x.dtype === 'int32' ? x : tf.cast(x, 'int32');
  }
  if (!Array.isArray(x)) {
    throw new InputError(`${where}: ${name} must be a tensor or nested arrays of integers ${layout(ranks)}, got ${describe(x)}`, { argument: name });
  }
  const range = spec.range ?? INT32;
  const fast = ranks.includes(2) ? validMatrix(x, range) : undefined;
  if (fast) {
    checkShape(fast.shape, spec, where, ranks);
    return tf.tensor(fast.data, fast.shape, 'int32');
  }
  const { shape, values } = hostArray(x, name, where, ranks);
  checkShape(shape, spec, where, ranks);
  const i = firstBad(values, range, true);
  if (i >= 0) throw badValue(values, i, shape, { ...spec, range }, where);
  return tf.tensor(Int32Array.from(values as number[]), shape, 'int32');
}

/**
 * The common case in one pass (every decoding step goes through it): a non-empty rectangular
 * `[rows][cols]` array of integers in `range`, copied straight into an Int32Array. Anything else
 * returns undefined, and the general walk finds and names the problem.
 */
function validMatrix(x: unknown[], range: IntRange): { shape: [number, number]; data: Int32Array } | undefined {
  const rows = x.length;
  const first = x[0];
  if (!rows || !Array.isArray(first) || !first.length) return undefined;
  const cols = first.length;
  const low = range.low ?? 0;
  const high = range.high;
  const allow = range.allow ?? [];
  const data = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (!Array.isArray(row) || row.length !== cols) return undefined;
    for (let c = 0; c < cols; c++) {
      const v: unknown = row[c];
      if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
      if (!(v >= low && v < high) && !allow.includes(v)) return undefined;
      data[r * cols + c] = v;
    }
  }
  return { shape: [rows, cols], data };
}

/**
 * An int32 tensor for an integer input without checks beyond those tfjs makes: for internal
 * callers whose values are known to be fine (created inside the caller's tidy).
 */
export function toIntTensor(x: IntInput | number[] | number[][][]): tf.Tensor {
  if (x instanceof tf.Tensor) return x.dtype === 'int32' ? x : tf.cast(x, 'int32');
  return tf.tensor(x, undefined, 'int32');
}

/** Token ids `[batch, length]` checked against a vocabulary of `vocabSize` rows (`vocab_size`). */
export function tokenIds(x: unknown, vocabSize: number, where: string, options: { name?: string; key?: string; allow?: readonly number[] } = {}): tf.Tensor {
  const key = options.key ?? 'vocab_size';
  const allowed = options.allow?.length ? ` and is not ${options.allow.join(' or ')}` : '';
  return intInput(x, {
    name: options.name ?? 'inputIds',
    range: { high: vocabSize, problem: `is outside the vocabulary [0, ${vocabSize}) (${key})${allowed}`, allow: options.allow },
  }, where);
}

/** A 0/1 attention mask of shape `shape` (1 = attend, 0 = padding). */
export function attentionMaskInput(x: unknown, shape: IntInputSpec['shape'], where: string, options: { name?: string; ranks?: readonly number[] } = {}): tf.Tensor {
  return intInput(x, {
    name: options.name ?? 'attentionMask',
    ranks: options.ranks ?? [2],
    shape,
    range: { high: 2, problem: 'is not 0 or 1 (1 = attend, 0 = padding)' },
  }, where);
}

/**
 * A float tensor for a real-valued input (pixels), checked like integer inputs for type, rank,
 * shape, raggedness and emptiness; values are taken as they are (created inside the caller's tidy).
 */
export function floatInput(x: unknown, spec: Omit<IntInputSpec, 'range'>, where: string): tf.Tensor {
  const ranks = spec.ranks ?? [2];
  const { name } = spec;
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new InputError(`${where}: ${name} is a disposed tensor`, { argument: name });
    if (x.dtype === 'string' || x.dtype === 'complex64') throw new InputError(`${where}: ${name} is a ${x.dtype} tensor, expected numbers`, { argument: name });
    checkShape(x.shape, spec, where, ranks);
    return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  }
  if (!Array.isArray(x)) throw new InputError(`${where}: ${name} must be a tensor or nested arrays of numbers ${layout(ranks)}, got ${describe(x)}`, { argument: name });
  const { shape, values } = hostArray(x, name, where, ranks);
  checkShape(shape, spec, where, ranks);
  return tf.tensor(Float32Array.from(values as number[]), shape, 'float32');
}

/** Refuses anything but an object of named inputs; `keys` lists the main ones for the message (`inputIds, attentionMask`). */
export function checkInputsObject(inputs: unknown, keys: string, where: string): void {
  if (inputs === null || typeof inputs !== 'object') {
    throw new InputError(`${where}: pass an object of inputs ({ ${keys}, … }), got ${inputs === null ? 'null' : typeof inputs}`, { argument: 'inputs' });
  }
}

/**
 * Refuses a sequence longer than the position table: `pastLength` cached positions plus `length`
 * new ones must fit in `max` (the config's `key`). `argument` names the input that is too long.
 */
export function checkPositions(length: number, pastLength: number, max: number, where: string, argument = 'inputIds', key = 'max_position_embeddings'): void {
  if (pastLength + length > max) {
    const past = pastLength ? ` (${pastLength} cached + ${length} new)` : '';
    throw new InputError(`${where}: ${pastLength + length} positions${past} exceed ${key} ${max}; truncate the input to at most ${max} tokens`, { argument });
  }
}

export { checkTokenizerFitsModel } from '@tfkit/core-tensor';
