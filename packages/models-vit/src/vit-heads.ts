// ViT image classification (Dosovitskiy et al., 2021, §3.1: a classifier on the [CLS] token).
// Follows Hugging Face transformers `models/vit/modeling_vit.py` (v4.40) ViTForImageClassification.
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { Linear, sequenceClassificationLoss, type LabelInput } from '@tfkit/layers';
import { numLabels, type ViTConfig, type ViTConfigInput } from './vit-config.js';
import { clsToken, ViTModel, ViTPreTrainedModel, type ViTModelInputs, type ViTModelOptions, type ViTModelOutput } from './vit-modeling.js';

/** Labels: a tensor or nested number arrays (checked by the losses of @tfkit/layers). */
export type { LabelInput } from '@tfkit/layers';

export interface ViTImageClassificationInputs extends ViTModelInputs {
  /** `[B]` class ids, `[B, numLabels]` multi-label targets, or `[B]` values for regression (one label). */
  labels?: LabelInput;
}

/** The backbone's outputs (`lastHiddenState`, `hiddenStates`, `attentions`), the logits, and `loss` when labels were given. */
export interface ViTImageClassifierOutput extends ViTModelOutput {
  loss?: tf.Scalar;
  /** `[B, numLabels]` */
  logits: tf.Tensor;
}

/**
 * The classification loss as Hugging Face picks it: `problemType` if the config sets it, else
 * regression (MSE) for one label, cross-entropy for `[B]` class ids, binary cross-entropy for
 * `[B, numLabels]` multi-label targets.
 */
export function imageClassificationLoss(logits: tf.Tensor, labels: LabelInput, config: ViTConfig): tf.Scalar {
  return sequenceClassificationLoss(logits, labels, { where: 'ViTForImageClassification', problemType: config.problemType });
}

/** ViT with a linear classifier on the final-LayerNormed [CLS] token (no pooler, as Hugging Face). */
export class ViTForImageClassification extends ViTPreTrainedModel {
  static readonly architecture = 'ViTForImageClassification';
  readonly architecture = ViTForImageClassification.architecture;
  readonly basePrefix = 'vit';
  vit: ViTModel;
  classifier: Linear;

  constructor(config: ViTConfigInput = {}, options: ViTModelOptions = {}) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.vit = new ViTModel(this.config, { rng, addPoolingLayer: false });
    this.classifier = new Linear(this.config.hiddenSize, numLabels(this.config), { initStd: this.config.initializerRange, rng });
  }

  /** `logits` `[B, numLabels]`; `labels` give `loss` (see `imageClassificationLoss`). */
  forward(inputs: ViTImageClassificationInputs): ViTImageClassifierOutput {
    return tf.tidy(() => {
      const base = this.vit.forward(inputs);
      const logits = this.classifier.forward(clsToken(base.lastHiddenState));
      const out: ViTImageClassifierOutput = { ...base, logits };
      if (inputs.labels !== undefined) out.loss = imageClassificationLoss(logits, inputs.labels, this.config);
      return out as unknown as tf.TensorContainer;
    }) as unknown as ViTImageClassifierOutput;
  }
}

/** Every ViT class by its Hugging Face name. */
export const VIT_ARCHITECTURES = {
  ViTModel,
  ViTForImageClassification,
} as const;

export type ViTArchitecture = keyof typeof VIT_ARCHITECTURES;
