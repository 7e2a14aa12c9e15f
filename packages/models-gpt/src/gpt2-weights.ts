/**
 * Everything checkpoint-specific about GPT-2: the attention buffers old checkpoints still hold, the
 * tied `lm_head.weight`, the `transformer.` prefix between a GPT2Model checkpoint and a task model,
 * and loading from / saving to Hugging Face files. Conv1D weights are `[in, out]` in checkpoints,
 * which is how tfkit holds them too, so no weight is transposed.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, loadCheckpoint, saveCheckpoint,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type SavePretrainedOptions, type TensorMap,
} from '@tfkit/core-tensor';
import { StateDictError, type Module } from '@tfkit/layers';
import { gpt2ConfigFromHf, gpt2ConfigToHf, type Gpt2Config } from './gpt2-config.js';

export interface LoadReport {
  /** Weights the checkpoint lacked (kept at their initial values). */
  missing: string[];
  /** Weights the checkpoint held that this model has no use for. */
  unexpected: string[];
}

/** The parts of a GPT-2 model the loader needs (avoids a cycle with the modeling files). */
export interface Gpt2Like extends Module {
  readonly config: Gpt2Config;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  readonly architecture: string;
  readonly basePrefix: string;
  loadReport: LoadReport;
}

export type Gpt2ModelClass<T extends Gpt2Like> = {
  new (config: Gpt2Config, options: { hfConfig?: HfConfig; hfGenerationConfig?: HfConfig }): T;
  readonly architecture: string;
};

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
  const where = options.source ? `${options.source} (model.safetensors)` : 'GPT-2 state dict';
  const adapted = adaptGpt2StateDict(weights, model);
  const expected = new Set(model.namedParameters({ includeAliases: true }).map(([n]) => n));
  if (model.config.tieWordEmbeddings) expected.delete('lm_head.weight');
  const inBackbone = (n: string) => !model.basePrefix || n.startsWith(`${model.basePrefix}.`);
  const missing = [...expected].filter((n) => !adapted.has(n));
  const unexpected = [...adapted.keys()].filter((n) => !expected.has(n));
  if (options.strict ?? true) {
    const badMissing = missing.filter((n) => options.sameArchitecture || inBackbone(n));
    const badUnexpected = unexpected.filter(inBackbone);
    if (badMissing.length || badUnexpected.length) throw new StateDictError({ missing: badMissing, unexpected: badUnexpected, mismatched: [] }, where);
  }
  model.loadStateDict(new Map([...adapted].filter(([n]) => expected.has(n))), { strict: false, where });
  return { missing, unexpected };
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildGpt2FromCheckpoint<T extends Gpt2Like>(cls: Gpt2ModelClass<T>, checkpoint: Checkpoint, options: Gpt2FromPretrainedOptions = {}): T {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const config = gpt2ConfigFromHf(hfConfig, `${checkpoint.source}/config.json`);
  const model = new cls(config, { hfConfig, ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}) });
  try {
    const architectures = hfConfig['architectures'];
    model.loadReport = loadGpt2Weights(model, checkpoint.weights, {
      strict: options.strict ?? true,
      source: checkpoint.source,
      sameArchitecture: Array.isArray(architectures) && architectures[0] === cls.architecture,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** Loads a checkpoint (directory, URL or hub id) into `cls`, disposing the checkpoint's tensors afterwards. */
export async function gpt2FromPretrained<T extends Gpt2Like>(cls: Gpt2ModelClass<T>, source: string, options: Gpt2FromPretrainedOptions = {}): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
  try {
    return buildGpt2FromCheckpoint(cls, checkpoint, options);
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
}

/** config.json + model.safetensors (+ generation_config.json), as `save_pretrained` writes them. */
export async function saveGpt2Checkpoint(model: Gpt2Like, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  // includeAliases: false drops the tied lm_head.weight, which follows transformer.wte.weight.
  const weights = model.stateDict({ includeAliases: false });
  try {
    const { bosTokenId, eosTokenId, padTokenId } = model.config;
    const generationConfig = model.architecture === 'GPT2LMHeadModel'
      ? model.hfGenerationConfig ?? { bos_token_id: bosTokenId, eos_token_id: eosTokenId, ...(padTokenId !== null ? { pad_token_id: padTokenId } : {}) }
      : undefined;
    await saveCheckpoint(dir, {
      config: gpt2ConfigToHf(model.config, model.architecture, model.hfConfig),
      weights,
      ...(generationConfig ? { generationConfig } : {}),
      metadata: { format: 'pt', ...options.metadata },
    });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
