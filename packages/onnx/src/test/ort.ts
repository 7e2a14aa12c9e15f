/**
 * Test helpers: ONNX Runtime (web: pure wasm, single-threaded in Node; node: the native binding when
 * it loads) running an exported model, and tfkit's own forward pass to compare with.
 */
import fs from 'node:fs';

export interface OrtTensorOut {
  dims: readonly number[];
  data: Float32Array;
}

export type Feeds = Record<string, { data: readonly (readonly number[])[] | readonly number[][][][]; dtype: 'int64' | 'float32' }>;

interface OrtLike {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: unknown }>>; release(): Promise<void>; inputNames: readonly string[]; outputNames: readonly string[] }> };
  env?: { wasm?: { numThreads?: number } };
}

export type Runtime = 'web' | 'node';

/** onnxruntime-web or onnxruntime-node, or the reason it cannot load here. */
export async function loadOrt(runtime: Runtime): Promise<OrtLike | string> {
  try {
    if (runtime === 'web') {
      const ort = (await import('onnxruntime-web')) as unknown as OrtLike;
      if (ort.env?.wasm) ort.env.wasm.numThreads = 1;
      return ort;
    }
    return (await import('onnxruntime-node')) as unknown as OrtLike;
  } catch (error) {
    return `onnxruntime-${runtime} does not load here: ${(error as Error).message.split('\n')[0]}`;
  }
}

function flatten(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as number];
}

function shapeOf(value: unknown): number[] {
  const dims: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    dims.push(v.length);
    v = v[0];
  }
  return dims;
}

/** Runs the .onnx file with nested-array feeds; outputs as float32. */
export async function runOnnx(ort: OrtLike, file: string, feeds: Feeds): Promise<Record<string, OrtTensorOut>> {
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)));
  try {
    const inputs: Record<string, unknown> = {};
    for (const [name, { data, dtype }] of Object.entries(feeds)) {
      const flat = flatten(data);
      const typed = dtype === 'int64' ? BigInt64Array.from(flat, (v) => BigInt(v)) : Float32Array.from(flat);
      inputs[name] = new ort.Tensor(dtype, typed, shapeOf(data));
    }
    const out = await session.run(inputs);
    const result: Record<string, OrtTensorOut> = {};
    for (const [name, t] of Object.entries(out)) result[name] = { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
    return result;
  } finally {
    await session.release();
  }
}
