/**
 * `registerViT(registry)`: model_type `vit` with each architecture by its Hugging Face class name,
 * and the `image-classification` task.
 */
import { ConfigError, type ModelArchitecture, type ModelEntry, type Registry, type RegisterOptions, type TaskEntry } from '@tfkit/core-tensor';
import { VIT_ARCHITECTURES } from './vit-heads.js';
import { ViTImageProcessor } from './vit-image-processor.js';
import type { ViTPreTrainedModel } from './vit-modeling.js';
import { ImageClassificationPipeline, type ImageClassificationModel } from './vit-pipeline.js';
import { buildViTFromCheckpoint, type ViTModelClass } from './vit-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    vit: ModelEntry;
  }
  interface TaskEntries {
    'image-classification': TaskEntry;
  }
}

function vitModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(VIT_ARCHITECTURES) as [string, ViTModelClass<ViTPreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildViTFromCheckpoint(cls, checkpoint, options) };
  }
  return { architectures, defaultArchitecture: 'ViTModel' };
}

function createImageClassification(options: Record<string, unknown>): ImageClassificationPipeline {
  const model = options['model'] as ImageClassificationModel | undefined;
  const processor = options['processor'];
  if (typeof model?.forward !== 'function' || typeof model.config !== 'object') {
    throw new ConfigError('image-classification: create({ model, processor? }) needs a loaded image classification model');
  }
  if (processor !== undefined && !(processor instanceof ViTImageProcessor)) {
    throw new ConfigError('image-classification: processor must be a ViTImageProcessor');
  }
  return new ImageClassificationPipeline({ model, processor });
}

/** Registers ViT (`vit`: ViTModel, ViTForImageClassification) and the `image-classification` task in `registry`. */
export function registerViT(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('vit', vitModelEntry(), options);
  if (options.override || !registry.task.has('image-classification')) {
    registry.task.register('image-classification', {
      description: 'Labels of an image with scores',
      modelTypes: ['vit'],
      create: createImageClassification,
    }, options);
  }
  return registry;
}
