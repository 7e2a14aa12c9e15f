/**
 * `registerViT(registry)`: model_type `vit` with each architecture by its Hugging Face class name,
 * the family facts shared code reads (task classes, layer naming, LoRA targets, positions), and
 * the `image-classification` task.
 */
import {
  ConfigError, registerTask, type ModelArchitecture, type ModelEntry, type PreprocessorContext, type Registry, type RegisterOptions, type TaskEntry,
} from '@tfkit/core-tensor';
import { vitConfigFromHf } from './vit-config.js';
import { VIT_ARCHITECTURES } from './vit-heads.js';
import { ViTImageProcessor } from './vit-image-processor.js';
import { vitOnnxExport } from './vit-onnx.js';
import type { ViTPreTrainedModel } from './vit-modeling.js';
import { ImageClassificationPipeline, type ImageClassificationModel } from './vit-pipeline.js';
import { buildViTFromCheckpoint, type ViTModelClass } from './vit-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    vit: ModelEntry;
  }
  /* `image-classification` produces this pipeline, whichever family serves it. */
  interface TaskEntries {
    'image-classification': TaskEntry<ImageClassificationPipeline>;
  }
}

function vitModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(VIT_ARCHITECTURES) as [string, ViTModelClass<ViTPreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildViTFromCheckpoint(cls, checkpoint, options) };
  }
  return {
    architectures,
    defaultArchitecture: 'ViTModel',
    taskArchitectures: { 'image-classification': 'ViTForImageClassification', 'image-feature-extraction': 'ViTModel' },
    // vit.embeddings.* (patches, CLS, positions) below vit.encoder.layer.{i}.*; the final norm and head on top.
    layerNaming: { layer: /(?:^|\.)encoder\.layer\.(\d+)\./, embeddings: /(?:^|\.)embeddings\./ },
    // PEFT's default target_modules for ViT.
    loraTargetModules: ['query', 'value'],
    // One position per patch, plus the CLS token.
    maxPositions: (config) => {
      const image = typeof config['image_size'] === 'number' ? config['image_size'] : 224;
      const patch = typeof config['patch_size'] === 'number' ? config['patch_size'] : 16;
      return Math.floor(image / patch) ** 2 + 1;
    },
    // @tfkit/onnx: ViTModel and ViTForImageClassification graphs; pipelines over an ONNX folder read the config alone.
    onnx: vitOnnxExport,
    readConfig: (config, where) => vitConfigFromHf(config, where),
  };
}

/** The checkpoint's preprocessor_config.json, when it has one (otherwise the pipeline derives a processor from the model's config). */
async function loadProcessor({ files, given }: PreprocessorContext): Promise<{ processor?: ViTImageProcessor }> {
  if (given['processor'] !== undefined || !(await files.exists('preprocessor_config.json'))) return {};
  return { processor: await ViTImageProcessor.fromPretrained(files) };
}

function createImageClassification(options: Record<string, unknown>): ImageClassificationPipeline {
  const model = options['model'] as ImageClassificationModel | undefined;
  const processor = options['processor'];
  if (typeof model?.forward !== 'function' || typeof model.config !== 'object' || !model.config.id2label) {
    throw new ConfigError('image-classification: create({ model, processor? }) needs a loaded image classification model');
  }
  if (processor !== undefined && !(processor instanceof ViTImageProcessor)) {
    throw new ConfigError('image-classification: processor must be a ViTImageProcessor');
  }
  return new ImageClassificationPipeline({ model, processor });
}

/** Registers ViT (`vit`: ViTModel, ViTForImageClassification) and its `image-classification` pipeline in `registry`. */
export function registerViT(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('vit', vitModelEntry(), options);
  registerTask(registry, 'image-classification', 'vit', { loadPreprocessor: loadProcessor, create: createImageClassification }, {
    ...options,
    description: 'Labels of an image with scores',
  });
  return registry;
}
