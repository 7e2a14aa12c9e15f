/**
 * Parameter initialisers. Each takes the `Random` to draw from, so a model built with the same
 * seed has the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';

/**
 * A `Random` that draws nothing for weights: every `normal` is its mean and every `uniform` its low
 * end. A model about to receive a checkpoint's weights is built with it in a fraction of the time
 * (the initialisers fill such tensors on the backend, with no loop over the entries); dropout
 * seeds still come from `fork()`, which draws from the real generator.
 */
export class PlaceholderInit extends Random {
  override normal(mean = 0): number {
    return mean;
  }

  override uniform(low = 0): number {
    return low;
  }
}

/** Inside `sharingPlaceholders`: one buffer per (element count, value), kept until the scope ends. */
let shared: Map<string, tf.Tensor> | undefined;

/** The part of tfjs-backend-wasm that `unwritten` uses. */
interface WasmBackendInternals {
  makeOutput?(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** Buffers of placeholders that were allocated and never written (`unwritten`), by data id. */
const unwrittenBuffers = new WeakSet<object>();

/** Placeholders at least this many values long are left unwritten on the wasm backend. */
const UNWRITTEN_MIN_SIZE = 1 << 16;

/**
 * On the wasm backend, a buffer of `size` float32 values malloc'd and never written: pages fresh
 * from the heap's growth stay out of resident memory until a checkpoint weight replaces the
 * placeholder (a zero fill would make them all resident while the checkpoint's tensors are too).
 * It holds whatever the heap held there: `assignUnwrittenPlaceholders` gives any parameter still
 * holding one its placeholder value, 0. Undefined on other backends and below `UNWRITTEN_MIN_SIZE`.
 */
function unwritten(size: number): tf.Tensor | undefined {
  if (size < UNWRITTEN_MIN_SIZE || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  if (typeof backend.makeOutput !== 'function') return undefined;
  const t = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([size], 'float32'), backend as unknown as tf.KernelBackend);
  unwrittenBuffers.add(t.dataId);
  return t;
}

/** Whether `t` holds a placeholder buffer that was never written (its values are undefined). */
export function isUnwrittenPlaceholder(t: tf.Tensor): boolean {
  return unwrittenBuffers.has(t.dataId);
}

/** A placeholder weight: `value` everywhere; inside `sharingPlaceholders`, a view of a shared buffer. */
function placeholder(shape: number[], value: number): tf.Tensor {
  if (!shared) return tf.fill(shape, value, 'float32');
  const size = shape.reduce((a, b) => a * b, 1);
  const key = `${size}:${value}`;
  let base = shared.get(key);
  if (!base) {
    // Zeros (every `normal` placeholder) of a large size are left unwritten on wasm.
    base = tf.keep((value === 0 ? unwritten(size) : undefined) ?? tf.fill([size], value, 'float32'));
    shared.set(key, base);
  }
  // A reshape shares its input's buffer (wasm, cpu), so placeholders of one size cost one buffer.
  return tf.reshape(base, shape);
}

/**
 * Runs `build` (a model built with `PlaceholderInit` to receive a checkpoint) with every placeholder
 * of one size and value sharing one buffer: a placeholder model of BERT-base then holds about
 * 100 MB instead of 418 MB beside the checkpoint's tensors. Each parameter must be assigned
 * (`loadStateDict`, `initializeMissingWeights`) before it is trained: until then it shares memory.
 * On wasm, a zeros placeholder of 65536 values or more is not even written (no resident pages):
 * its values are undefined until `assignUnwrittenPlaceholders` or a checkpoint's weight sets them.
 */
export function sharingPlaceholders<T>(build: () => T): T {
  if (shared) return build();
  shared = new Map();
  try {
    return build();
  } finally {
    for (const t of shared.values()) t.dispose();
    shared = undefined;
  }
}

/** N(mean, std²) values of `shape` (Hugging Face's `normal_(0, initializer_range)`). */
export function normal(shape: number[], std: number, rng: Random, mean = 0): tf.Tensor {
  if (rng instanceof PlaceholderInit) return placeholder(shape, mean);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.normal(mean, std);
  return tf.tensor(data, shape);
}

/** U(low, high) values of `shape` (PyTorch's default Linear/RNN init uses ±1/√fanIn). */
export function uniform(shape: number[], low: number, high: number, rng: Random): tf.Tensor {
  if (rng instanceof PlaceholderInit) return placeholder(shape, low);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.uniform(low, high);
  return tf.tensor(data, shape);
}

/** A generator for modules built without an explicit one (seed 0: deterministic by default). */
export function defaultRng(rng?: Random): Random {
  return rng ?? new Random(0);
}
