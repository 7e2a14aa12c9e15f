/**
 * A tfkit task pipeline whose model runs in ONNX Runtime. The family's own pipeline does the pre-
 * and postprocessing; its model is a stand-in whose `forward` answers from ONNX Runtime. Pipelines
 * call `forward` synchronously and ONNX Runtime runs asynchronously, so a call runs in passes: a
 * pass that reaches a forward pass not computed yet stops with its inputs, ONNX Runtime runs them,
 * and the call starts again, now answered from the results (the pipeline's work before its forward
 * passes — tokenizing — is repeated; it is cheap next to the model).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AutoModel, type FileSource, type HfConfig, type PipelineOptions, type PretrainedModel, type TaskEntry,
} from '@tfkit/core-tensor';
import { OnnxInferenceError, OnnxRuntimeMissingError } from './errors.js';
import { onnxGenerationMembers } from './ort-generation.js';
import { ONNX_MODEL_FILE, type OnnxRuntimeOptions, type OnnxRuntimePackage } from './runtime.js';

interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** onnxruntime-node or -web, or an `OnnxRuntimeMissingError` naming what to install. */
export async function loadOnnxRuntime(choice?: OnnxRuntimePackage): Promise<{ ort: Ort; name: OnnxRuntimePackage }> {
  const order: OnnxRuntimePackage[] = choice ? [choice] : isNode ? ['onnxruntime-node', 'onnxruntime-web'] : ['onnxruntime-web'];
  let firstError: unknown;
  for (const name of order) {
    try {
      // Variable specifiers: bundlers must not pull in a runtime the app did not install.
      const mod = (await import(/* @vite-ignore */ name)) as Ort & { default?: Ort };
      const ort = typeof mod.InferenceSession === 'object' || typeof mod.InferenceSession === 'function' ? mod : (mod.default as Ort);
      return { ort, name };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw new OnnxRuntimeMissingError(order[0] as string, 'Running an ONNX model folder in pipeline()', { cause: firstError });
}

/** A forward pass not answered yet: its feeds, and the key its answer is cached under. */
class NeedsRun {
  constructor(readonly key: string, readonly feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>) {}
}

type Nested = number | Nested[];

function flatten(value: Nested, out: number[], where: string): void {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) for (const v of value) flatten(v, out, where);
  else throw new OnnxInferenceError(`${where}: an ONNX Runtime pipeline feeds tensors and number arrays only; this pipeline passed another kind of input (past key/values? generation is not served here)`);
}

function shapeOf(value: Nested): number[] {
  const dims: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0] as Nested) dims.push(v.length);
  return dims;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/[._]([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The model's inputs (camelCase, as tfkit's forward takes them) as ONNX feeds. */
function toFeeds(inputs: Record<string, unknown>, inputNames: readonly string[], where: string): Record<string, { data: Float32Array | BigInt64Array; dims: number[] }> {
  const feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }> = {};
  for (const [key, value] of Object.entries(inputs)) {
    const name = snake(key);
    if (value === undefined || value === null || typeof value === 'boolean' || !inputNames.includes(name)) continue;
    let flat: number[];
    let dims: number[];
    let float: boolean;
    if (value instanceof tf.Tensor) {
      flat = Array.from(value.dataSync());
      dims = [...value.shape];
      float = value.dtype === 'float32';
    } else {
      flat = [];
      flatten(value as Nested, flat, where);
      dims = shapeOf(value as Nested);
      float = /pixel|embeds/.test(name) || flat.some((v) => !Number.isInteger(v));
    }
    feeds[name] = { data: float ? Float32Array.from(flat) : BigInt64Array.from(flat, (v) => BigInt(v)), dims };
  }
  const ids = feeds['input_ids'];
  for (const name of inputNames) {
    if (feeds[name]) continue;
    // What tfkit's forward defaults: no segments, attend everywhere.
    if (ids && (name === 'token_type_ids' || name === 'attention_mask')) {
      feeds[name] = { data: new BigInt64Array(ids.data.length).fill(name === 'attention_mask' ? 1n : 0n), dims: ids.dims };
      continue;
    }
    throw new OnnxInferenceError(`${where}: the ONNX model needs input "${name}", which the pipeline did not give (it gave ${Object.keys(inputs).join(', ')})`);
  }
  return feeds;
}

function feedsKey(feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>): string {
  return JSON.stringify(Object.entries(feeds).map(([k, { data, dims }]) => [k, dims, Array.from(data, String)]));
}

/**
 * A family without `readConfig`: its model object is built (without weights, initialised anew)
 * for its config, then freed. Families with large models should give `readConfig`.
 */
async function configFromShell(files: FileSource, config: HfConfig, options: PipelineOptions, architecture: string | undefined) {
  const shell = await AutoModel.fromCheckpoint(
    { source: files.description, config, generationConfig: undefined, weights: new Map(), metadata: {}, files },
    { registry: options.registry, strict: false, ...(architecture ? { architecture } : {}) },
  ) as PretrainedModel & { config?: unknown; hfConfig?: HfConfig };
  const parsed = { config: shell.config, hfConfig: shell.hfConfig ?? config, modelType: shell.modelType, architecture: shell.architecture };
  shell.dispose();
  return parsed;
}

/** Passes one call may take (one per distinct forward pass); a pipeline needing more is refused. */
const MAX_PASSES = 64;

export async function onnxPipeline(task: string, files: FileSource, options: PipelineOptions, runtime: OnnxRuntimeOptions): Promise<unknown> {
  const { registry } = options;
  const entry = registry.task.get(task) as unknown as TaskEntry;
  const config = await files.readJson<HfConfig>('config.json');
  const modelType = config['model_type'];
  const implementation = typeof modelType === 'string' && entry.implementation ? entry.implementation(modelType) : undefined;
  if (typeof modelType === 'string' && entry.implementation && !implementation) {
    throw new OnnxInferenceError(`${task}: ${files.description} is a "${modelType}" model, which has no ${task} pipeline; register its family`);
  }
  const family = typeof modelType === 'string' ? registry.model.tryGet(modelType) : undefined;
  const architecture = options.architecture ?? implementation?.architecture ?? family?.taskArchitectures?.[task];

  // What the pipeline reads of its model besides forward: the family's parsed config.
  const parsed = family?.readConfig
    ? {
      config: family.readConfig(config, `${files.description}/config.json`),
      hfConfig: config,
      modelType: String(modelType),
      architecture: architecture ?? (Array.isArray(config['architectures']) ? String(config['architectures'][0]) : family.defaultArchitecture),
    }
    : await configFromShell(files, config, options, architecture);

  const { ort, name } = await loadOnnxRuntime(runtime.runtime);
  const externalFile = `${ONNX_MODEL_FILE}_data`;
  const externalData = (await files.exists(externalFile)) ? [{ path: 'model.onnx_data', data: await files.read(externalFile) }] : undefined;
  const session = await ort.InferenceSession.create(await files.read(ONNX_MODEL_FILE), { ...runtime.sessionOptions, ...(externalData ? { externalData } : {}) });
  const where = `${task} (${name}, ${files.description})`;
  const answers = new Map<string, Record<string, OrtTensor>>();

  const model = {
    ...parsed,
    onnxRuntime: name,
    forward(inputs: Record<string, unknown>): Record<string, tf.Tensor> {
      const feeds = toFeeds(inputs, session.inputNames, where);
      const key = feedsKey(feeds);
      const answer = answers.get(key);
      if (!answer) throw new NeedsRun(key, feeds);
      const out: Record<string, tf.Tensor> = {};
      for (const [output, t] of Object.entries(answer)) out[camel(output)] = tf.tensor(t.data as Float32Array, [...t.dims]);
      return out;
    },
    savePretrained(): Promise<void> {
      return Promise.reject(new OnnxInferenceError(`${where}: a model served by ONNX Runtime cannot be saved as a tfkit checkpoint; export the tfkit model itself`));
    },
    dispose(): void {
      void session.release();
    },
  };
  // A decoder exported with past keys/values generates: each step runs in ONNX Runtime with its cache fed back.
  const generation = onnxGenerationMembers(
    ort, session, config, (await files.exists('generation_config.json')) ? await files.readJson<HfConfig>('generation_config.json') : undefined,
    family?.maxPositions?.(config), where,
  );
  if (generation) Object.assign(model, generation);

  const given: Record<string, unknown> = {};
  for (const part of ['tokenizer', 'processor'] as const) if (options[part] !== undefined) given[part] = options[part];
  const loaded = implementation?.loadPreprocessor ? await implementation.loadPreprocessor({ task, files, config, registry, given }) : {};
  const parts = { ...loaded, ...given, model: model as unknown as PretrainedModel };
  const pipe = (implementation ? implementation.create(parts) : entry.create(parts)) as { call?: (...args: unknown[]) => Promise<unknown> };
  if (typeof pipe.call !== 'function') throw new OnnxInferenceError(`${where}: the ${task} pipeline has no call() to serve`);
  const call = pipe.call.bind(pipe);
  pipe.call = async (...args: unknown[]) => {
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        // A pass stopped at an unanswered forward frees what it made before it (pixel values made
        // outside a tidy, say); a finished pass keeps only what it returns.
        tf.engine().startScope();
        let result: unknown;
        try {
          result = await call(...args);
        } catch (error) {
          tf.engine().endScope();
          if (!(error instanceof NeedsRun)) throw error;
          const feeds: Record<string, unknown> = {};
          for (const [k, { data, dims }] of Object.entries(error.feeds)) feeds[k] = new ort.Tensor(data instanceof Float32Array ? 'float32' : 'int64', data, dims);
          answers.set(error.key, await session.run(feeds));
          continue;
        }
        tf.engine().endScope(result as tf.TensorContainer);
        return result;
      }
      throw new OnnxInferenceError(`${where}: the pipeline made more than ${MAX_PASSES} forward passes in one call; ONNX Runtime pipelines serve single-pass tasks`);
    } finally {
      answers.clear();
    }
  };
  return pipe;
}
