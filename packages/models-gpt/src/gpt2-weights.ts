/**
 * Everything checkpoint-specific about GPT-2: the attention buffers old checkpoints still hold, the
 * tied `lm_head.weight`, the `transformer.` prefix between a GPT2Model checkpoint and a task model,
 * and loading from / saving to Hugging Face files. Conv1D weights are `[in, out]` in checkpoints,
 * which is how tfkit holds them too, so no weight is transposed.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint, FromPretrainedOptions, HfConfig, SavePretrainedOptions, TensorMap } from '@tfkit/core-tensor';
import {
  buildFromCheckpointWith, fromPretrainedWith, loadWeightsWithReport, saveModelCheckpoint, type LoadReport, type PretrainedClass, type PretrainedModule,
} from '@tfkit/layers';
import { Gpt2ConfigError, gpt2ConfigFromHf, gpt2ConfigSizes, gpt2ConfigToHf, type Gpt2Config } from './gpt2-config.js';

export type { LoadReport } from '@tfkit/layers';

/** The parts of a GPT-2 model the loader needs (avoids a cycle with the modeling files). */
export interface Gpt2Like extends PretrainedModule<Gpt2Config> {
  hfGenerationConfig: HfConfig | undefined;
}

export type Gpt2ModelClass<T extends Gpt2Like> = PretrainedClass<T, Gpt2Config, { hfConfig?: HfConfig; hfGenerationConfig?: HfConfig }>;

export type Gpt2FromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'>;

/** Causal-mask buffers (`attn.bias`, `attn.masked_bias`) that checkpoints saved by older transformers contain. */
const BUFFERS = /(^|\.)attn\.(bias|masked_bias)$/;

/** Checkpoint names → this model's names. Returns a new map holding the same tensors. */
export function adaptGpt2StateDict(weights: TensorMap, model: Gpt2Like): TensorMap {
  const kept: [string, tf.Tensor][] = [...weights].filter(([name]) => !BUFFERS.test(name));
  const prefix = model.basePrefix;
  const hasPrefix = kept.some(([n]) => n.startsWith('transformer.'));
  let out: TensorMap;
  if (prefix && !hasPrefix) {
    // A GPT2Model checkpoint loaded into a task model.
    out = new Map(kept.map(([n, t]) => [`${prefix}.${n}`, t]));
  } else if (!prefix && hasPrefix) {
    // A task model's checkpoint loaded into GPT2Model: keep the backbone only.
    out = new Map(kept.filter(([n]) => n.startsWith('transformer.')).map(([n, t]) => [n.slice('transformer.'.length), t]));
  } else {
    out = new Map(kept);
  }
  if (model.config.tieWordEmbeddings) out.delete('lm_head.weight');
  return out;
}

/**
 * Loads weights into a model. Mis-shaped weights are always an error; with `strict` (default) a
 * missing backbone weight is too, and so is any missing weight when the checkpoint was saved from
 * this class. A head the checkpoint lacks (a classifier built from an LM checkpoint) keeps its
 * initial values and is listed in the report.
 */
export function loadGpt2Weights(model: Gpt2Like, weights: TensorMap, options: { strict?: boolean; source?: string; sameArchitecture?: boolean } = {}): LoadReport {
  const prefix = model.basePrefix;
  const { missing, unexpected } = loadWeightsWithReport(model, adaptGpt2StateDict(weights, model), {
    where: options.source ? `${options.source} (model.safetensors)` : 'GPT-2 state dict',
    strict: options.strict ?? true,
    sameArchitecture: options.sameArchitecture ?? false,
    isBackbone: (n) => !prefix || n.startsWith(`${prefix}.`),
  });
  return { missing, unexpected };
}

/**
 * Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. The model
 * is built with its own initialisation, which a head the checkpoint lacks keeps.
 */
export function buildGpt2FromCheckpoint<T extends Gpt2Like>(cls: Gpt2ModelClass<T>, checkpoint: Checkpoint, options: Gpt2FromPretrainedOptions = {}): T {
  return buildFromCheckpointWith(checkpoint, options, {
    architecture: cls.architecture,
    readConfig: gpt2ConfigFromHf,
    sizes: gpt2ConfigSizes,
    basePrefix: 'transformer',
    fail: (where) => (key, problem) => new Gpt2ConfigError(where, key, problem),
    create: (hfConfig, config) => new cls(config, {
      hfConfig, ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}),
    }),
    load: (model, context) => {
      model.loadReport = loadGpt2Weights(model, checkpoint.weights, context);
    },
  });
}

/** Loads a checkpoint (directory, URL or hub id) into `cls`, disposing the checkpoint's tensors afterwards. */
export async function gpt2FromPretrained<T extends Gpt2Like>(cls: Gpt2ModelClass<T>, source: string, options: Gpt2FromPretrainedOptions = {}): Promise<T> {
  return fromPretrainedWith(source, options, (checkpoint) => buildGpt2FromCheckpoint(cls, checkpoint, options));
}

/**
 * config.json + model.safetensors (+ generation_config.json), as `save_pretrained` writes them;
 * the tied lm_head.weight, which follows transformer.wte.weight, is left out.
 */
export async function saveGpt2Checkpoint(model: Gpt2Like, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  const { bosTokenId, eosTokenId, padTokenId } = model.config;
  const generationConfig = model.architecture === 'GPT2LMHeadModel'
    ? model.hfGenerationConfig ?? { bos_token_id: bosTokenId, eos_token_id: eosTokenId, ...(padTokenId !== null ? { pad_token_id: padTokenId } : {}) }
    : undefined;
  await saveModelCheckpoint(model, dir, { config: gpt2ConfigToHf(model.config, model.architecture, model.hfConfig), generationConfig }, options);
}
