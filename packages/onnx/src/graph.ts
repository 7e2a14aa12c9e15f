/**
 * `OnnxGraph`: the `OnnxGraphBuilder` a family's export writes into. It collects inputs, outputs,
 * nodes and initializers as plain data; `serialize.ts` turns them into an ONNX ModelProto.
 * Initializer values are read when the file is written, so the model must stay alive until then.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type {
  OnnxAttentionArgs, OnnxAttribute, OnnxDim, OnnxDtype, OnnxGraphBuilder, OnnxLinearParams, OnnxNormParams, OnnxTensorData,
} from '@tfkit/core-tensor';
import { OnnxExportError } from './errors.js';

/** The float32 minimum: masked scores are shifted by it, as Hugging Face and tfkit do. */
export const MASK_VALUE = -3.4028234663852886e38;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: OnnxDtype;
  readonly dims: readonly OnnxDim[];
}

export interface NodeDef {
  readonly opType: string;
  readonly name: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
  /** Graph-valued attributes (`If` branches). */
  readonly subgraphs?: Readonly<Record<string, OnnxGraph>>;
}

export interface InitializerDef {
  readonly name: string;
  readonly dtype: OnnxDtype;
  readonly dims: readonly number[];
  readonly byteLength: number;
  /** Little-endian bytes, read on demand. */
  bytes(): Uint8Array;
}

export interface OnnxGraphOptions {
  readonly opset: number;
  /** Dynamic axis name → a fixed size or another name. */
  readonly axes?: Readonly<Record<string, number | string>>;
  readonly name?: string;
  /** A subgraph (an `If` branch): names are unique across the whole model and weights live in the outermost graph. */
  readonly parent?: OnnxGraph;
}

const BYTES: Record<OnnxDtype, number> = { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1 };

function tensorDtype(t: tf.Tensor, where: string): OnnxDtype {
  switch (t.dtype) {
    case 'float32': return 'float32';
    case 'int32': return 'int32';
    case 'bool': return 'bool';
    default: throw new OnnxExportError(`${where}: tensors of dtype ${t.dtype} cannot be written as ONNX initializers; cast to float32 or int32`);
  }
}

/** Row-major values of `dtype` as little-endian bytes. */
export function encodeValues(dtype: OnnxDtype, data: OnnxTensorData['data']): Uint8Array {
  switch (dtype) {
    case 'float32': return bytesOf(data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>));
    case 'int32': return bytesOf(data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>));
    case 'int64': {
      if (data instanceof BigInt64Array) return bytesOf(data);
      const out = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.trunc(Number((data as ArrayLike<number>)[i])));
      return bytesOf(out);
    }
    case 'bool': return Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
    case 'float16': throw new OnnxExportError('float16 initializers are not supported; export in float32');
  }
}

function bytesOf(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // Typed arrays are little-endian on every platform tfkit runs on (x86, ARM).
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class OnnxGraph implements OnnxGraphBuilder {
  readonly opset: number;
  readonly name: string;
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly nodes: NodeDef[] = [];
  readonly initializers: InitializerDef[] = [];
  private readonly axes: Readonly<Record<string, number | string>>;
  private readonly used: Set<string>;
  private readonly counters: Map<string, number>;
  /** Tensor object → initializer name: tied weights are stored once. */
  private readonly byTensor = new Map<tf.Tensor, string>();
  private readonly parent: OnnxGraph | undefined;

  constructor(options: OnnxGraphOptions) {
    this.opset = options.opset;
    this.axes = options.axes ?? {};
    this.name = options.name ?? 'main_graph';
    this.parent = options.parent;
    this.used = options.parent?.used ?? new Set<string>();
    this.counters = options.parent?.counters ?? new Map<string, number>();
  }

  uniqueName(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 && !this.used.has(prefix) ? prefix : `${prefix}_${n}`;
    while (this.used.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    this.used.add(name);
    return name;
  }

  private claim(name: string, what: string): string {
    if (typeof name !== 'string' || name.length === 0) throw new OnnxExportError(`${what}: a name must be a non-empty string`);
    if (this.used.has(name)) throw new OnnxExportError(`${what} "${name}": the name is already used in graph "${this.name}"; pick another`);
    this.used.add(name);
    return name;
  }

  private dims(dims: readonly OnnxDim[]): OnnxDim[] {
    return dims.map((d) => (typeof d === 'string' && Object.hasOwn(this.axes, d) ? (this.axes[d] as number | string) : d));
  }

  addInput(name: string, dtype: OnnxDtype, dims: readonly OnnxDim[]): string {
    this.inputs.push({ name: this.claim(name, 'input'), dtype, dims: this.dims(dims) });
    return name;
  }

  addOutput(name: string, value: string, dtype: OnnxDtype, dims: readonly OnnxDim[]): void {
    if (!this.used.has(value)) throw new OnnxExportError(`output "${name}": value "${value}" was never made in graph "${this.name}"`);
    if (value !== name) this.addNode('Identity', [value], {}, { name: `${name}_identity`, outputNames: [this.claim(name, 'output')] });
    this.outputs.push({ name, dtype, dims: this.dims(dims) });
  }

  addInitializer(name: string, tensor: tf.Tensor | OnnxTensorData): string {
    // Branches read the outermost graph's weights (outer-scope names).
    if (this.parent) return this.parent.addInitializer(name, tensor);
    if ('dataSync' in tensor) {
      const known = this.byTensor.get(tensor);
      if (known !== undefined) return known;
      const dtype = tensorDtype(tensor, `initializer "${name}"`);
      this.claim(name, 'initializer');
      this.byTensor.set(tensor, name);
      this.initializers.push({
        name, dtype, dims: [...tensor.shape], byteLength: tensor.size * BYTES[dtype],
        bytes: () => {
          if (tensor.isDisposed) throw new OnnxExportError(`initializer "${name}": its tensor was disposed before the file was written; keep the model alive until the export resolves`);
          return encodeValues(dtype, tensor.dataSync() as Float32Array | Int32Array | Uint8Array);
        },
      });
      return name;
    }
    return this.storeData(this.claim(name, 'initializer'), tensor);
  }

  private storeData(name: string, tensor: OnnxTensorData): string {
    const size = tensor.dims.reduce((a, b) => a * b, 1);
    if (size !== tensor.data.length) throw new OnnxExportError(`initializer "${name}": dims [${tensor.dims.join(', ')}] hold ${size} values but ${tensor.data.length} were given`);
    const bytes = encodeValues(tensor.dtype, tensor.data);
    this.initializers.push({ name, dtype: tensor.dtype, dims: [...tensor.dims], byteLength: bytes.byteLength, bytes: () => bytes });
    return name;
  }

  constant(values: readonly number[], dtype: OnnxDtype, dims: readonly number[] = [values.length]): string {
    return this.storeData(this.uniqueName('const'), { dtype, dims, data: values });
  }

  addNode(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    options: { readonly outputs?: number; readonly name?: string; readonly domain?: string; readonly outputNames?: readonly string[] } = {},
  ): string[] {
    for (const input of inputs) {
      // '' marks an omitted optional input.
      if (input !== '' && !this.used.has(input)) throw new OnnxExportError(`${opType} node: input "${input}" was never made in graph "${this.name}"`);
    }
    const name = this.uniqueName(options.name ?? `/${opType}`);
    const outputs = options.outputNames ?? Array.from({ length: options.outputs ?? 1 }, (_, i) => this.uniqueName(`${name}_output_${i}`));
    this.nodes.push({ opType, name, domain: options.domain ?? '', inputs: [...inputs], outputs: [...outputs], attributes });
    return [...outputs];
  }

  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, OnnxAttribute>> = {}, name?: string): string {
    return this.addNode(opType, inputs, attributes, name === undefined ? {} : { name })[0] as string;
  }

  private scalar(value: number): string {
    return this.constant([value], 'float32', []);
  }

  /** Axes for Reduce*, Unsqueeze and Squeeze: an attribute before the opset that made them an input. */
  private withAxes(opType: string, x: string, axes: readonly number[], inputFrom: number, attributes: Record<string, OnnxAttribute> = {}): string {
    if (this.opset >= inputFrom) return this.op(opType, [x, this.constant(axes, 'int64')], attributes);
    return this.op(opType, [x], { ...attributes, axes });
  }

  linear(x: string, params: OnnxLinearParams, name: string): string {
    const w = this.addInitializer(`${name}.weight`, params.weight);
    const y = this.op('MatMul', [x, w], {}, `/${name}/MatMul`);
    if (!params.bias) return y;
    return this.op('Add', [y, this.addInitializer(`${name}.bias`, params.bias)], {}, `/${name}/Add`);
  }

  layerNorm(x: string, params: OnnxNormParams, eps: number, name: string): string {
    if (this.opset >= 17 && params.weight) {
      const inputs = [x, this.addInitializer(`${name}.weight`, params.weight)];
      if (params.bias) inputs.push(this.addInitializer(`${name}.bias`, params.bias));
      return this.op('LayerNormalization', inputs, { axis: -1, epsilon: { float: eps } }, `/${name}/LayerNormalization`);
    }
    const mean = this.withAxes('ReduceMean', x, [-1], 18, { keepdims: 1 });
    const centered = this.op('Sub', [x, mean]);
    const variance = this.withAxes('ReduceMean', this.op('Mul', [centered, centered]), [-1], 18, { keepdims: 1 });
    let y = this.op('Div', [centered, this.op('Sqrt', [this.op('Add', [variance, this.scalar(eps)])])]);
    if (params.weight) y = this.op('Mul', [y, this.addInitializer(`${name}.weight`, params.weight)]);
    if (params.bias) y = this.op('Add', [y, this.addInitializer(`${name}.bias`, params.bias)]);
    return y;
  }

  gelu(x: string, form: 'erf' | 'tanh'): string {
    if (this.opset >= 20) return this.op('Gelu', [x], { approximate: form === 'erf' ? 'none' : 'tanh' });
    const half = this.op('Mul', [x, this.scalar(0.5)]);
    let inner: string;
    if (form === 'erf') {
      inner = this.op('Erf', [this.op('Div', [x, this.scalar(Math.SQRT2)])]);
    } else {
      // tanh(√(2/π)·(x + 0.044715·x³)), x³ as x·x·x like tfkit's geluTanh.
      const cube = this.op('Mul', [this.op('Mul', [x, x]), x]);
      const sum = this.op('Add', [x, this.op('Mul', [cube, this.scalar(0.044715)])]);
      inner = this.op('Tanh', [this.op('Mul', [sum, this.scalar(Math.sqrt(2 / Math.PI))])]);
    }
    return this.op('Mul', [half, this.op('Add', [inner, this.scalar(1)])]);
  }

  activation(x: string, hfName: string): string {
    switch (hfName) {
      case 'gelu': return this.gelu(x, 'erf');
      case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return this.gelu(x, 'tanh');
      case 'relu': return this.op('Relu', [x]);
      case 'tanh': return this.op('Tanh', [x]);
      case 'sigmoid': return this.op('Sigmoid', [x]);
      case 'silu': case 'swish': return this.op('Mul', [x, this.op('Sigmoid', [x])]);
      case 'quick_gelu': return this.op('Mul', [x, this.op('Sigmoid', [this.op('Mul', [x, this.scalar(1.702)])])]);
      case 'linear': return x;
      default:
        throw new OnnxExportError(`activation "${hfName}" has no ONNX form here; known: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, sigmoid, silu, swish, quick_gelu, linear`);
    }
  }

  softmax(x: string, axis = -1): string {
    return this.op('Softmax', [x], { axis });
  }

  embedding(table: tf.Tensor, ids: string, name: string): string {
    return this.op('Gather', [this.addInitializer(`${name}.weight`, table), ids], { axis: 0 }, `/${name}/Gather`);
  }

  additiveMask(mask: string): string {
    const m = this.op('Cast', [mask], { to: 1 });
    const inverted = this.op('Sub', [this.scalar(1), m]);
    const additive = this.op('Mul', [inverted, this.scalar(MASK_VALUE)]);
    return this.withAxes('Unsqueeze', additive, [1, 2], 13);
  }

  splitHeads(x: string, numHeads: number, headDim: number): string {
    const reshaped = this.op('Reshape', [x, this.constant([0, 0, numHeads, headDim], 'int64')]);
    return this.op('Transpose', [reshaped], { perm: [0, 2, 1, 3] });
  }

  mergeHeads(x: string, numHeads: number, headDim: number): string {
    const transposed = this.op('Transpose', [x], { perm: [0, 2, 1, 3] });
    return this.op('Reshape', [transposed, this.constant([0, 0, numHeads * headDim], 'int64')]);
  }

  attention(args: OnnxAttentionArgs): string {
    const prefix = args.name ?? 'attention';
    const keyT = this.op('Transpose', [args.key], { perm: [0, 1, 3, 2] });
    const scores = this.op('MatMul', [args.query, keyT], {}, `/${prefix}/MatMul`);
    let scaled = this.op('Mul', [scores, this.scalar(args.scale ?? 1 / Math.sqrt(args.headDim))]);
    if (args.mask !== undefined) scaled = this.op('Add', [scaled, args.mask]);
    const probs = this.softmax(scaled, -1);
    return this.op('MatMul', [probs, args.value], {}, `/${prefix}/MatMul_1`);
  }

  ifElse(
    condition: string,
    outputs: readonly { readonly dtype: OnnxDtype; readonly dims: readonly OnnxDim[] }[],
    thenBranch: (branch: OnnxGraphBuilder) => readonly string[],
    elseBranch: (branch: OnnxGraphBuilder) => readonly string[],
  ): string[] {
    const branch = (which: string, build: (b: OnnxGraphBuilder) => readonly string[]): OnnxGraph => {
      const g = new OnnxGraph({ opset: this.opset, axes: this.axes, name: this.uniqueName(`${this.name}_${which}`), parent: this });
      const results = build(g);
      if (results.length !== outputs.length) throw new OnnxExportError(`If ${which} branch: returned ${results.length} values for ${outputs.length} outputs`);
      const made = new Set(g.nodes.flatMap((n) => n.outputs));
      results.forEach((value, i) => {
        // A branch's outputs must be its own values: pass outer ones through an Identity.
        const name = made.has(value) ? value : g.op('Identity', [value]);
        g.outputs.push({ name, dtype: (outputs[i] as ValueInfo).dtype, dims: g.dims((outputs[i] as ValueInfo).dims) });
      });
      return g;
    };
    const thenGraph = branch('then', thenBranch);
    const elseGraph = branch('else', elseBranch);
    const name = this.uniqueName('/If');
    const results = outputs.map((_, i) => this.uniqueName(`${name}_output_${i}`));
    if (!this.used.has(condition)) throw new OnnxExportError(`If node: condition "${condition}" was never made in graph "${this.name}"`);
    this.nodes.push({ opType: 'If', name, domain: '', inputs: [condition], outputs: results, attributes: {}, subgraphs: { then_branch: thenGraph, else_branch: elseGraph } });
    return results;
  }

  /** Total bytes of every initializer. */
  get weightBytes(): number {
    return this.initializers.reduce((sum, i) => sum + i.byteLength, 0);
  }
}
