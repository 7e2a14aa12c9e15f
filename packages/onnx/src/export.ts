/**
 * `exportOnnx(model, dir, options)`: a tfkit model as the folder transformers.js and Optimum lay
 * out — `config.json`, the tokenizer/preprocessor files when a source folder is given, and
 * `onnx/model.onnx` (or the family's split files). The family's `ModelEntry.onnx` builds the graphs;
 * nothing here names a family.
 */
import type { FileSource, OnnxExportEntry, PretrainedModel, Registry } from '@tfkit/core-tensor';
import { describeValue, importNodeBuiltin, openSource } from '@tfkit/core-tensor';
import { OnnxExportError } from './errors.js';
import { OnnxGraph } from './graph.js';
import { encodeModel, MAX_OPSET, MIN_OPSET, PROTOBUF_LIMIT, type ExternalData } from './serialize.js';

/** The opset written when none is asked for: the oldest with every op the graphs use, as Optimum's default. */
export const DEFAULT_OPSET = 14;

/** Files copied from `copyFrom` when it has them (tokenizer, image processor, generation settings). */
export const SIDE_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt',
  'preprocessor_config.json', 'generation_config.json',
] as const;

export interface ExportOnnxOptions {
  /** The registry that knows the model's family (its `ModelEntry.onnx`). */
  registry: Registry;
  /** ONNX opset, 14 to 21 (default 14). LayerNormalization is used from 17, Gelu from 20. */
  opset?: number;
  /**
   * Dynamic axes. `true` (default): every axis the family names (`batch_size`, `sequence_length`,
   * `past_sequence_length`, …) stays symbolic. A record renames an axis (`{ batch_size: 'batch' }`)
   * or fixes its size (`{ batch_size: 1 }`).
   */
  dynamicAxes?: boolean | Readonly<Record<string, number | string>>;
  /** Decoders: past key/value inputs and present outputs (default false). */
  withPast?: boolean;
  /** The task the export is for (`feature-extraction`, `text-generation`, …), for families whose graphs depend on it. */
  task?: string;
  /**
   * Weights in a side file (`<name>.onnx_data`) instead of inside the .onnx file. `'auto'` (default):
   * only when a graph's weights pass protobuf's 2 GiB limit.
   */
  externalData?: boolean | 'auto';
  /** A checkpoint folder (or source) whose tokenizer and preprocessor files are copied beside the model. */
  copyFrom?: string | FileSource;
}

export interface ExportOnnxResult {
  /** Every file written, relative to `dir`. */
  files: string[];
  opset: number;
}

function checkOptions(options: ExportOnnxOptions): { opset: number; axes: Readonly<Record<string, number | string>> } {
  if (options === null || typeof options !== 'object' || !options.registry) {
    throw new OnnxExportError('exportOnnx: pass options with the registry that knows the model family, e.g. exportOnnx(model, dir, { registry })');
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError(`exportOnnx: opset ${typeof opset === 'number' ? opset : describeValue(opset)} is not supported; pick an integer from ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  const dyn = options.dynamicAxes ?? true;
  if (dyn === false) {
    throw new OnnxExportError('exportOnnx: dynamicAxes: false gives no sizes; fix axes by name instead, e.g. { dynamicAxes: { batch_size: 1, sequence_length: 128 } }');
  }
  const axes = dyn === true ? {} : dyn;
  for (const [axis, value] of Object.entries(axes)) {
    const ok = typeof value === 'string' ? value.length > 0 : Number.isInteger(value) && value > 0;
    if (!ok) throw new OnnxExportError(`exportOnnx: dynamicAxes.${axis} must be a positive integer size or a non-empty axis name, got ${describeValue(value)}`);
  }
  return { opset, axes };
}

/** The family's ONNX export, or an error naming what is registered. */
export function onnxEntryFor(model: PretrainedModel, registry: Registry): OnnxExportEntry {
  const entry = registry.model.get(model.modelType);
  if (!entry.onnx) {
    const families = registry.model.entriesList().filter(([, e]) => e.onnx).map(([k]) => k);
    throw new OnnxExportError(
      `exportOnnx: model_type "${model.modelType}" has no ONNX export; families with one: ${families.length ? families.join(', ') : '(none registered)'}`,
    );
  }
  return entry.onnx;
}

async function nodeFs() {
  const [fs, syncFs, path] = await Promise.all([importNodeBuiltin('node:fs/promises'), importNodeBuiltin('node:fs'), importNodeBuiltin('node:path')]);
  return { fs, syncFs, path };
}

/** Writes `model` as an ONNX folder under `dir`; the model is only read (the caller still owns it). */
export async function exportOnnx(model: PretrainedModel, dir: string, options: ExportOnnxOptions): Promise<ExportOnnxResult> {
  const { opset, axes } = checkOptions(options);
  const entry = onnxEntryFor(model, options.registry);
  const minOpset = entry.minOpset ?? MIN_OPSET;
  if (opset < minOpset) throw new OnnxExportError(`exportOnnx: ${model.modelType} graphs need opset ${minOpset} or later; got ${opset}`);
  const specs = entry.graphs(model, { opset, withPast: options.withPast ?? false, task: options.task });
  const { fs, syncFs, path } = await nodeFs();
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];

  await fs.writeFile(path.join(dir, 'config.json'), `${JSON.stringify(entry.hfConfig(model), null, 2)}\n`);
  files.push('config.json');
  if (options.copyFrom !== undefined) {
    const source = await openSource(options.copyFrom);
    for (const name of SIDE_FILES) {
      if (!(await source.exists(name))) continue;
      await fs.writeFile(path.join(dir, name), await source.read(name));
      files.push(name);
    }
  }

  for (const spec of specs) {
    const graph = new OnnxGraph({ opset, axes, name: spec.name ?? 'main_graph' });
    spec.build(graph);
    const file = path.join(dir, spec.file);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const mode = options.externalData ?? 'auto';
    const external = mode === true || (mode === 'auto' && graph.weightBytes > PROTOBUF_LIMIT);
    if (!external) {
      await fs.writeFile(file, encodeModel(graph, { producerVersion: PRODUCER_VERSION }));
      files.push(spec.file);
      continue;
    }
    const location = `${path.basename(spec.file)}_data`;
    // Written tensor by tensor as the proto is built, so no more than one tensor's bytes is held at once.
    const fd = syncFs.openSync(path.join(path.dirname(file), location), 'w');
    let bytes: Uint8Array;
    try {
      const sink: ExternalData = { location, write: (data, offset) => { syncFs.writeSync(fd, data, 0, data.byteLength, offset); } };
      bytes = encodeModel(graph, { producerVersion: PRODUCER_VERSION, external: sink });
    } finally {
      syncFs.closeSync(fd);
    }
    await fs.writeFile(file, bytes);
    files.push(spec.file, path.posix.join(path.posix.dirname(spec.file), location));
  }
  return { files, opset };
}

/** Written as the models' `producer_version`. */
export const PRODUCER_VERSION = '0.1.0';
