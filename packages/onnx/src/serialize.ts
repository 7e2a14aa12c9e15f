/**
 * An `OnnxGraph` as an ONNX ModelProto, encoded with protobufjs through `onnx-proto` (the official
 * onnx.proto schema, compiled). Weights go in `raw_data`, or, for external data, in a side file
 * that TensorProto `external_data` entries point into (`location`, `offset`, `length`), as
 * `onnx.save(..., save_as_external_data=True)` writes them.
 */
import type { OnnxAttribute, OnnxDtype, OnnxTensorData } from '@tfkit/core-tensor';
import onnxProto from 'onnx-proto';
import { OnnxExportError } from './errors.js';
import { encodeValues, type InitializerDef, type OnnxGraph, type ValueInfo } from './graph.js';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.IModelProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** Lowest and highest opsets an export may target. */
export const MIN_OPSET = 14;
export const MAX_OPSET = 21;

/** Protobuf messages cannot exceed 2 GiB; weights past this go to external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

const ELEM_TYPE: Record<OnnxDtype, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10 };

/** The IR version of the ONNX release that introduced `opset` (ONNX's versioning table). */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function valueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.dtype],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensorProto(name: string, t: OnnxTensorData): TensorProto {
  return { name, dataType: ELEM_TYPE[t.dtype], dims: [...t.dims], rawData: encodeValues(t.dtype, t.data) };
}

function attribute(name: string, value: OnnxAttribute): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: T.STRINGS, strings: (value as string[]).map((v) => new TextEncoder().encode(v)) };
    const numbers = value as number[];
    return numbers.every((v) => Number.isInteger(v)) ? { name, type: T.INTS, ints: numbers } : { name, type: T.FLOATS, floats: numbers };
  }
  const typed = value as Exclude<OnnxAttribute, number | string | readonly unknown[]>;
  if ('float' in typed) return { name, type: T.FLOAT, f: typed.float };
  if ('floats' in typed) return { name, type: T.FLOATS, floats: [...typed.floats] };
  if ('tensor' in typed) return { name, type: T.TENSOR, t: tensorProto('', typed.tensor) };
  throw new OnnxExportError(`attribute "${name}": unsupported value ${JSON.stringify(value)}`);
}

/** Where external weights go: the file name (beside the .onnx file) and a writer for each tensor's bytes in order. */
export interface ExternalData {
  /** File name written into each TensorProto's `location`, relative to the .onnx file. */
  readonly location: string;
  /** Receives each initializer's bytes at `offset` (tensors come in order, offsets only grow). */
  write(bytes: Uint8Array, offset: number): void;
}

/** Tensors smaller than this stay inside the model when weights go external (onnx's `size_threshold`). */
const EXTERNAL_THRESHOLD = 1024;

/** Bytes between external tensors start at multiples of this (onnx's own writer aligns big tensors too). */
const EXTERNAL_ALIGN = 64;

function initializerProto(init: InitializerDef, external: ExternalData | undefined, cursor: { offset: number }): TensorProto {
  const base = { name: init.name, dataType: ELEM_TYPE[init.dtype], dims: [...init.dims] };
  // Small tensors (shapes, axes, scalars) stay inline, as onnx's own writer does: runtimes read them during shape inference.
  if (!external || init.byteLength < EXTERNAL_THRESHOLD) return { ...base, rawData: init.bytes() };
  const offset = Math.ceil(cursor.offset / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
  const bytes = init.bytes();
  external.write(bytes, offset);
  cursor.offset = offset + bytes.byteLength;
  return {
    ...base,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(bytes.byteLength) },
    ],
  };
}

export interface ModelProtoOptions {
  /** Weights to a side file instead of inside the model. */
  readonly external?: ExternalData | undefined;
  readonly producerVersion?: string;
  /** `metadata_props` entries. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The graph as a ModelProto object (weights read now). */
export function toModelProto(graph: OnnxGraph, options: ModelProtoOptions = {}): ModelProto {
  if (!Number.isInteger(graph.opset) || graph.opset < MIN_OPSET || graph.opset > MAX_OPSET) {
    throw new OnnxExportError(`opset ${graph.opset} is not supported; pick an opset from ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  const cursor = { offset: 0 };
  return {
    irVersion: irVersionFor(graph.opset),
    producerName: 'tfkit',
    producerVersion: options.producerVersion ?? '0',
    opsetImport: [{ domain: '', version: graph.opset }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: graphProto(graph, options.external, cursor),
  };
}

/** A GraphProto; `If` branches become GRAPH attributes (their weights are the outer graph's). */
function graphProto(graph: OnnxGraph, external: ExternalData | undefined, cursor: { offset: number }): onnxProto.onnx.IGraphProto {
  return {
    name: graph.name,
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    initializer: graph.initializers.map((init) => initializerProto(init, external, cursor)),
    node: graph.nodes.map((n) => ({
      opType: n.opType,
      name: n.name,
      domain: n.domain,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: [
        ...Object.entries(n.attributes).map(([key, value]) => attribute(key, value)),
        ...Object.entries(n.subgraphs ?? {}).map(([key, sub]) => ({
          name: key, type: onnx.AttributeProto.AttributeType.GRAPH, g: graphProto(sub, external, cursor),
        })),
      ],
    })),
  };
}

/** The encoded ModelProto bytes; an `OnnxExportError` when it would pass protobuf's 2 GiB limit (use external data). */
export function encodeModel(graph: OnnxGraph, options: ModelProtoOptions = {}): Uint8Array {
  if (!options.external && graph.weightBytes > PROTOBUF_LIMIT) {
    throw new OnnxExportError(
      `graph "${graph.name}" holds ${graph.weightBytes} bytes of weights, past protobuf's 2 GiB limit; write them as external data ({ externalData: true })`,
    );
  }
  return onnx.ModelProto.encode(toModelProto(graph, options)).finish();
}

/** A ModelProto read back (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
