/**
 * `registerOnnxRuntime(registry)`: lets tfkit's `pipeline()` serve an exported ONNX folder
 * (`onnx/model.onnx`, no model.safetensors) with onnxruntime-node or onnxruntime-web, whichever is
 * installed. Nothing heavy is imported until such a folder is opened.
 */
import type { FileSource, ModelRuntimeEntry, PipelineOptions, Registry, RegisterOptions } from '@tfkit/core-tensor';

declare module '@tfkit/core-tensor' {
  interface ModelRuntimeEntries {
    onnx: ModelRuntimeEntry;
  }
}

/** Which ONNX Runtime package runs the model. */
export type OnnxRuntimePackage = 'onnxruntime-node' | 'onnxruntime-web';

export interface OnnxRuntimeOptions {
  /**
   * The package to use. Default: onnxruntime-node in Node.js (native speed) falling back to
   * onnxruntime-web, onnxruntime-web elsewhere.
   */
  runtime?: OnnxRuntimePackage;
  /** Options passed to `InferenceSession.create` (execution providers, threads, …). */
  sessionOptions?: Record<string, unknown>;
}

/** The model file a folder is served from. */
export const ONNX_MODEL_FILE = 'onnx/model.onnx';

/** The `modelRuntime` entry; `options` apply to every pipeline it opens. */
export function onnxRuntimeEntry(options: OnnxRuntimeOptions = {}): ModelRuntimeEntry {
  return {
    description: 'ONNX Runtime (onnxruntime-node / onnxruntime-web) for folders written by exportOnnx',
    accepts: (files: FileSource) => files.exists(ONNX_MODEL_FILE),
    pipeline: async (task: string, files: FileSource, pipelineOptions: PipelineOptions) => {
      const { onnxPipeline } = await import('./ort-pipeline.js');
      return onnxPipeline(task, files, pipelineOptions, options);
    },
  };
}

/**
 * Registers the ONNX Runtime plugin: afterwards `pipeline(task, dir, { registry })` on a folder
 * written by `exportOnnx` runs the model in ONNX Runtime, with the task's own pre- and
 * postprocessing. Needs onnxruntime-node or onnxruntime-web installed; an `OnnxRuntimeMissingError`
 * names what to install otherwise.
 */
export function registerOnnxRuntime(registry: Registry, options: OnnxRuntimeOptions & RegisterOptions = {}): Registry {
  const { override, ...runtimeOptions } = options;
  registry.ns('modelRuntime').register('onnx', onnxRuntimeEntry(runtimeOptions), override === undefined ? {} : { override });
  return registry;
}
