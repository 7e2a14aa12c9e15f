/**
 * Everything checkpoint-specific about BERT: legacy names, non-persistent buffers, the tied MLM
 * decoder, the `bert.` prefix between a BertModel checkpoint and a task model, and which missing or
 * extra weights are fine when a checkpoint is loaded into another task's class.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, loadCheckpoint, Random, saveCheckpoint,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type SavePretrainedOptions, type TensorMap,
} from '@tfkit/core-tensor';
import { StateDictError, type Module } from '@tfkit/layers';
import { bertConfigFromHf, bertConfigToHf, type BertConfig } from './bert-config.js';

/** Weights a checkpoint lacked (kept at their initial values) and weights it held that the model has no use for. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

/** The parts of a BERT model the loader needs (avoids a cycle with bert-modeling.ts). */
export interface BertLike extends Module {
  readonly config: BertConfig;
  readonly hfConfig: HfConfig;
  readonly architecture: string;
  readonly basePrefix: string;
  loadReport: LoadReport;
}

export type BertModelClass<T extends BertLike> = {
  new (config: BertConfig, options: { hfConfig?: HfConfig; rng?: Random }): T;
  readonly architecture: string;
};

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
  const prefix = model.basePrefix;
  const names = [...renamed.keys()];
  let out: TensorMap = renamed;
  if (prefix && !names.some((n) => n.startsWith(`${prefix}.`)) && names.some((n) => n.startsWith('embeddings.'))) {
    // A BertModel checkpoint loaded into a task model.
    out = new Map([...renamed].map(([n, t]) => [`${prefix}.${n}`, t]));
  } else if (!prefix && names.some((n) => n.startsWith('bert.'))) {
    // A task model's checkpoint loaded into BertModel: its heads are of no use here.
    out = new Map([...renamed].map(([n, t]) => [n.startsWith('bert.') ? n.slice(5) : n, t]));
  }
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
  const strict = options.strict ?? true;
  const where = options.source ? `${options.source} (model.safetensors)` : 'BERT state dict';
  const adapted = adaptBertStateDict(weights, model);
  const expected = new Set(model.namedParameters({ includeAliases: true }).map(([n]) => n));
  const prefix = model.basePrefix;
  // The pooler is optional: token-level models have none, and a checkpoint without one leaves it initialised.
  const pooler = prefix ? `${prefix}.pooler.` : 'pooler.';
  const inBackbone = (n: string) => (!prefix || n.startsWith(`${prefix}.`)) && !n.startsWith(pooler);
  const missing = [...expected].filter((n) => !adapted.has(n));
  const unexpected = [...adapted.keys()].filter((n) => !expected.has(n));
  if (strict) {
    const badMissing = missing.filter((n) => options.sameArchitecture || inBackbone(n));
    const badUnexpected = unexpected.filter((n) => inBackbone(n) && !(!prefix && /^(cls|classifier|qa_outputs)\./.test(n)));
    if (badMissing.length || badUnexpected.length) {
      throw new StateDictError({ missing: badMissing, unexpected: badUnexpected, mismatched: [] }, where);
    }
  }
  const usable: TensorMap = new Map([...adapted].filter(([n]) => expected.has(n)));
  model.loadStateDict(usable, { strict: false, where });
  return { missing, unexpected };
}

/**
 * Draws no random numbers for weights (every `normal`/`uniform` is its mean/low end), so a model
 * about to receive a checkpoint's weights is built in a fraction of the time; seeds for dropout
 * still come from the real generator.
 */
class PlaceholderInit extends Random {
  override normal(mean = 0): number {
    return mean;
  }

  override uniform(low = 0): number {
    return low;
  }
}

/**
 * Hugging Face's initialisation for the weights a checkpoint lacked (a new task head):
 * N(0, initializer_range) for matrices and embeddings, zeros for biases, ones for LayerNorm scales.
 */
export function initializeMissing(model: BertLike, names: readonly string[], rng: Random = new Random(0)): void {
  const params = new Map(model.namedParameters({ includeAliases: true }));
  for (const name of names) {
    const p = params.get(name);
    if (!p) continue;
    const value = tf.tidy(() => {
      if (/LayerNorm\.weight$/.test(name)) return tf.onesLike(p.variable);
      if (p.variable.rank < 2) return tf.zerosLike(p.variable);
      const data = new Float32Array(p.variable.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, model.config.initializerRange);
      return tf.tensor(data, p.variable.shape);
    });
    p.variable.assign(value);
    value.dispose();
  }
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildFromCheckpoint<T extends BertLike>(cls: BertModelClass<T>, checkpoint: Checkpoint, options: BertFromPretrainedOptions = {}): T {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const config = bertConfigFromHf(hfConfig, `${checkpoint.source}/config.json`);
  const model = new cls(config, { hfConfig, rng: new PlaceholderInit(0) });
  try {
    const architectures = hfConfig['architectures'];
    const saved = Array.isArray(architectures) ? architectures[0] : undefined;
    model.loadReport = loadBertWeights(model, checkpoint.weights, {
      strict: options.strict ?? true,
      source: checkpoint.source,
      sameArchitecture: saved === cls.architecture,
    });
    initializeMissing(model, model.loadReport.missing);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** Loads a checkpoint into `cls`, disposing the checkpoint's tensors afterwards. */
export async function bertFromPretrained<T extends BertLike>(cls: BertModelClass<T>, source: string, options: BertFromPretrainedOptions = {}): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
  try {
    return buildFromCheckpoint(cls, checkpoint, options);
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
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
  const weights = bertStateDict(model);
  try {
    await saveCheckpoint(dir, {
      config: bertConfigToHf(model.config, model.architecture, model.hfConfig),
      weights,
      metadata: { format: 'pt', ...options.metadata },
    });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
