/**
 * Everything checkpoint-specific about BERT: legacy names, non-persistent buffers, the tied MLM
 * decoder, the `bert.` prefix between a BertModel checkpoint and a task model, and which missing or
 * extra weights are fine when a checkpoint is loaded into another task's class.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint, FromPretrainedOptions, HfConfig, Random, SavePretrainedOptions, TensorMap } from '@tfkit/core-tensor';
import {
  adaptBasePrefix, buildFromCheckpointWith, fromPretrainedWith, initializeMissingWeights, loadWeightsWithReport, PlaceholderInit, saveModelCheckpoint,
  type LoadReport, type PretrainedClass, type PretrainedModule,
} from '@tfkit/layers';
import { BertConfigError, bertConfigFromHf, bertConfigSizes, bertConfigToHf, type BertConfig } from './bert-config.js';

export type { LoadReport } from '@tfkit/layers';

/** The parts of a BERT model the loader needs (avoids a cycle with bert-modeling.ts). */
export type BertLike = PretrainedModule<BertConfig>;

export type BertModelClass<T extends BertLike> = PretrainedClass<T, BertConfig, { hfConfig?: HfConfig; rng?: Random }>;

export type BertFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'>;

/** Non-persistent buffers that older checkpoints still contain. */
const BUFFERS = /(^|\.)embeddings\.(position_ids|token_type_ids)$/;

/**
 * Checkpoint names → this model's names: TF-era `gamma`/`beta`, buffers dropped, the tied MLM
 * decoder folded into `cls.predictions.bias`, and the base-model prefix added or removed.
 * Returns a new map holding the same tensors (nothing is copied or disposed).
 */
export function adaptBertStateDict(weights: TensorMap, model: BertLike): TensorMap {
  const renamed: TensorMap = new Map();
  for (const [name, t] of weights) {
    if (BUFFERS.test(name)) continue;
    renamed.set(name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias'), t);
  }
  const out = adaptBasePrefix(renamed, model, { basePrefix: 'bert', baseNames: /^embeddings\./ });
  const decoderBias = out.get('cls.predictions.decoder.bias');
  if (decoderBias) {
    out.delete('cls.predictions.decoder.bias');
    if (!out.has('cls.predictions.bias')) out.set('cls.predictions.bias', decoderBias);
  }
  if (model.config.tieWordEmbeddings) out.delete('cls.predictions.decoder.weight');
  return out;
}

/**
 * Loads checkpoint weights into a model. Mis-shaped weights are always an error. With `strict`
 * (default), a backbone weight the checkpoint lacks is an error, and so is any missing weight when
 * the checkpoint was saved from this very class; head weights of another task (a classifier built
 * from a pretraining checkpoint) and the pooler keep their initial values and are listed in the report, as are
 * extra head weights the model ignores.
 */
export function loadBertWeights(
  model: BertLike,
  weights: TensorMap,
  options: { strict?: boolean; source?: string; sameArchitecture?: boolean } = {},
): LoadReport {
  const prefix = model.basePrefix;
  // The pooler is optional: token-level models have none, and a checkpoint without one leaves it
  // initialised. BertModel ignores the heads of a task model's checkpoint.
  const isBackbone = prefix
    ? (n: string) => n.startsWith(`${prefix}.`) && !n.startsWith(`${prefix}.pooler.`)
    : (n: string) => !/^(pooler|cls|classifier|qa_outputs)\./.test(n);
  const { missing, unexpected } = loadWeightsWithReport(model, adaptBertStateDict(weights, model), {
    where: options.source ? `${options.source} (model.safetensors)` : 'BERT state dict',
    strict: options.strict ?? true,
    sameArchitecture: options.sameArchitecture ?? false,
    isBackbone,
  });
  return { missing, unexpected };
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildFromCheckpoint<T extends BertLike>(cls: BertModelClass<T>, checkpoint: Checkpoint, options: BertFromPretrainedOptions = {}): T {
  return buildFromCheckpointWith(checkpoint, options, {
    architecture: cls.architecture,
    readConfig: bertConfigFromHf,
    sizes: bertConfigSizes,
    basePrefix: 'bert',
    fail: (where) => (key, problem) => new BertConfigError(where, key, problem),
    create: (hfConfig, config) => new cls(config, { hfConfig, rng: new PlaceholderInit(0) }),
    load: (model, context) => {
      model.loadReport = loadBertWeights(model, checkpoint.weights, context);
      // Hugging Face's initialisation for the weights the checkpoint lacked (a new task head).
      initializeMissingWeights(model, model.loadReport.missing, { std: model.config.initializerRange });
    },
  });
}

/** Loads a checkpoint into `cls`, disposing the checkpoint's tensors afterwards. */
export async function bertFromPretrained<T extends BertLike>(cls: BertModelClass<T>, source: string, options: BertFromPretrainedOptions = {}): Promise<T> {
  return fromPretrainedWith(source, options, (checkpoint) => buildFromCheckpoint(cls, checkpoint, options));
}

/**
 * The weights as Hugging Face's `save_pretrained` writes them: checkpoint layout, names as in
 * PyTorch, the tied decoder (`cls.predictions.decoder.weight` / `.bias`) left out.
 * New tensors: the caller disposes them.
 */
export function bertStateDict(model: BertLike): Map<string, tf.Tensor> {
  return model.stateDict({ includeAliases: false });
}

export async function saveBertCheckpoint(model: BertLike, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  await saveModelCheckpoint(model, dir, { config: bertConfigToHf(model.config, model.architecture, model.hfConfig) }, options);
}
