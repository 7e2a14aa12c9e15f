/**
 * Prefix tuning (Li & Liang, 2021), with PEFT's semantics and file format: a trained table of
 * `numVirtualTokens` key/value vectors per layer (optionally produced by a two-layer MLP, the
 * "prefix projection") is handed to the frozen model as past keys/values, and the attention mask
 * gains `numVirtualTokens` leading ones. Works with any model whose `forward(inputs)` accepts
 * `pastKeyValues` (one `{ key, value }` of `[batch, heads, prefixLength, headDim]` per layer) and
 * an `attentionMask` covering prefix + input — the interface tfkit's GPT-2 and BERT expose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, CheckpointError, Random, safetensorsToTensors, tensorsToSafetensors, writeFileAtomic } from '@tfkit/core-tensor';
import { Embedding, Linear, Module, ModuleList, type Parameter } from '@tfkit/layers';
import type { Batch } from '../data/collator.js';
import { FinetuneError } from '../errors.js';
import { matchesTarget } from './lora.js';
import { ModuleDict } from './module-dict.js';

export interface PrefixTuningConfig {
  numVirtualTokens: number;
  /** Transformer layers that receive a prefix. */
  numLayers: number;
  numAttentionHeads: number;
  /** Hidden size of the model (PEFT's `token_dim`). */
  tokenDim: number;
  /** Produce the prefix through Linear → tanh → Linear (PEFT's `prefix_projection`). */
  prefixProjection?: boolean;
  /** Hidden size of that MLP (PEFT's `encoder_hidden_size`, default tokenDim). */
  encoderHiddenSize?: number;
  /** Modules trained in full and saved with the prefix (PEFT adds the classifier for SEQ_CLS). */
  modulesToSave?: string[];
  taskType?: string | null;
  baseModelNameOrPath?: string | null;
  seed?: number;
}

export interface LayerKeyValue {
  key: tf.Tensor4D;
  value: tf.Tensor4D;
}

class Tanh extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }
}

/** PEFT's `PrefixEncoder`: names `embedding`, `transform.0`, `transform.2`. */
export class PrefixEncoder extends Module {
  readonly config: PrefixTuningConfig;
  embedding: Embedding;
  transform: ModuleList | null;

  constructor(config: PrefixTuningConfig, options: { projection?: boolean } = {}) {
    super();
    this.config = config;
    const rng = new Random(config.seed ?? 0);
    const full = config.numLayers * 2 * config.tokenDim;
    const projection = options.projection ?? config.prefixProjection ?? false;
    const hidden = config.encoderHiddenSize ?? config.tokenDim;
    // torch.nn.Embedding / nn.Linear default inits, as PEFT leaves them.
    this.embedding = new Embedding(config.numVirtualTokens, projection ? config.tokenDim : full, { rng });
    this.transform = projection ? new ModuleList<Module>([new Linear(config.tokenDim, hidden, { rng }), new Tanh(), new Linear(hidden, full, { rng })]) : null;
  }

  /** `[numVirtualTokens, numLayers·2·tokenDim]`: the prefix for every layer, keys and values. */
  promptEmbeddings(): tf.Tensor2D {
    return tf.tidy(() => {
      // A copy, not the variable itself: the caller owns (and disposes) the result.
      let e: tf.Tensor = tf.clone(this.embedding.weight.value);
      if (this.transform) for (const m of this.transform) e = (m as unknown as { forward(x: tf.Tensor): tf.Tensor }).forward(e);
      return e as tf.Tensor2D;
    });
  }

  /** Per layer `{ key, value }` `[batch, heads, P, headDim]`, laid out as PEFT splits them. */
  pastKeyValues(batchSize: number): LayerKeyValue[] {
    const { numVirtualTokens: p, numLayers: l, numAttentionHeads: h, tokenDim: d } = this.config;
    return tf.tidy(() => {
      // [P, L·2·D] → [P, L·2, H, hd] → [L·2, H, P, hd]; rows 2i and 2i+1 are layer i's key and value.
      const e = tf.transpose(tf.reshape(this.promptEmbeddings(), [p, l * 2, h, d / h]), [1, 2, 0, 3]);
      const per = tf.unstack(e, 0);
      return Array.from({ length: l }, (_, i) => ({
        key: tf.tile(tf.expandDims(per[2 * i] as tf.Tensor, 0), [batchSize, 1, 1, 1]) as tf.Tensor4D,
        value: tf.tile(tf.expandDims(per[2 * i + 1] as tf.Tensor, 0), [batchSize, 1, 1, 1]) as tf.Tensor4D,
      }));
    });
  }
}

/** A frozen model plus a trainable prefix; `forward(batch)` runs the model with the prefix. */
export class PrefixTuningModel extends Module {
  base_model: Module;
  prompt_encoder = new ModuleDict<PrefixEncoder>();
  readonly config: PrefixTuningConfig;

  constructor(model: Module, config: PrefixTuningConfig, options: { projection?: boolean } = {}) {
    super();
    if (config.tokenDim % config.numAttentionHeads !== 0) throw new FinetuneError(`prefix tuning: tokenDim ${config.tokenDim} is not divisible by numAttentionHeads ${config.numAttentionHeads}`);
    if (!(config.numVirtualTokens > 0)) throw new FinetuneError('prefix tuning: numVirtualTokens must be positive');
    this.base_model = model;
    this.config = config;
    model.freeze();
    for (const [, p] of this.modulesToSaveParams()) p.trainable = true;
    this.prompt_encoder.set('default', new PrefixEncoder(config, options));
  }

  /** Parameters of `modulesToSave`, by path in the base model. */
  modulesToSaveParams(): [string, Parameter][] {
    const targets = this.config.modulesToSave ?? [];
    if (!targets.length) return [];
    return this.base_model.namedModules().filter(([p]) => p && matchesTarget(p, targets)).flatMap(([p, m]) => m.namedParameters().map(([n, param]) => [`${p}.${n}`, param] as [string, Parameter]));
  }

  get encoder(): PrefixEncoder {
    return this.prompt_encoder.get('default') as PrefixEncoder;
  }

  forward(batch: Batch): unknown {
    const forward = (this.base_model as unknown as { forward?: (inputs: Record<string, unknown>) => unknown }).forward;
    if (typeof forward !== 'function') throw new FinetuneError('prefix tuning: the base model has no forward(inputs) method');
    const ids = batch['inputIds'];
    if (!ids) throw new FinetuneError('prefix tuning: the batch has no inputIds');
    const [b, t] = ids.shape as [number, number];
    const p = this.config.numVirtualTokens;
    return tf.tidy(() => {
      const mask = batch['attentionMask'] ? tf.cast(batch['attentionMask'], 'int32') : tf.ones([b, t], 'int32');
      const attentionMask = tf.concat([tf.ones([b, p], 'int32'), mask], 1);
      return forward.call(this.base_model, { ...batch, attentionMask, pastKeyValues: this.encoder.pastKeyValues(b) }) as tf.TensorContainer;
    });
  }

  /** Writes PEFT's adapter_config.json + adapter_model.safetensors (`prompt_embeddings`). */
  async saveAdapter(dir: string): Promise<void> {
    const fs = await importNodeBuiltin('node:fs/promises');
    const path = await importNodeBuiltin('node:path');
    await fs.mkdir(dir, { recursive: true });
    const c = this.config;
    const json = {
      base_model_name_or_path: c.baseModelNameOrPath ?? null,
      encoder_hidden_size: c.encoderHiddenSize ?? c.tokenDim,
      inference_mode: true,
      modules_to_save: c.modulesToSave?.length ? c.modulesToSave : null,
      num_attention_heads: c.numAttentionHeads,
      num_layers: c.numLayers,
      num_transformer_submodules: 1,
      num_virtual_tokens: c.numVirtualTokens,
      peft_type: 'PREFIX_TUNING',
      prefix_projection: c.prefixProjection ?? false,
      revision: null,
      task_type: c.taskType ?? null,
      token_dim: c.tokenDim,
    };
    // PEFT stores the prefix unprefixed and modules_to_save under the wrapped model's names.
    const tensors = new Map<string, tf.Tensor>([['prompt_embeddings', this.encoder.promptEmbeddings()]]);
    for (const [name, p] of this.modulesToSaveParams()) tensors.set(`base_model.${name}`, p.toCheckpoint());
    try {
      await writeFileAtomic(path.join(dir, 'adapter_model.safetensors'), await tensorsToSafetensors(tensors, { format: 'pt' }));
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    await writeFileAtomic(path.join(dir, 'adapter_config.json'), `${JSON.stringify(json, null, 2)}\n`);
  }

  /** Wraps `model` with the prefix saved in `dir` (by PEFT or tfkit), ready for inference. */
  static async load(model: Module, dir: string): Promise<PrefixTuningModel> {
    const fs = await importNodeBuiltin('node:fs/promises');
    const path = await importNodeBuiltin('node:path');
    const where = path.join(dir, 'adapter_config.json');
    const json = JSON.parse(await fs.readFile(where, 'utf8')) as Record<string, unknown>;
    if (json['peft_type'] !== 'PREFIX_TUNING') throw new CheckpointError(`${where}: peft_type is ${JSON.stringify(json['peft_type'])}, expected "PREFIX_TUNING"`);
    if (json['num_transformer_submodules'] !== undefined && json['num_transformer_submodules'] !== 1) {
      throw new CheckpointError(`${where}: num_transformer_submodules ${String(json['num_transformer_submodules'])} (encoder-decoder prefixes) is not supported`);
    }
    const num = (k: string) => {
      if (typeof json[k] !== 'number') throw new CheckpointError(`${where}: "${k}" must be a number`);
      return json[k] as number;
    };
    const config: PrefixTuningConfig = {
      numVirtualTokens: num('num_virtual_tokens'), numLayers: num('num_layers'), numAttentionHeads: num('num_attention_heads'), tokenDim: num('token_dim'),
      prefixProjection: Boolean(json['prefix_projection']),
      modulesToSave: Array.isArray(json['modules_to_save']) ? (json['modules_to_save'] as string[]) : [],
      taskType: (json['task_type'] as string | null) ?? null,
      baseModelNameOrPath: (json['base_model_name_or_path'] as string | null) ?? null,
    };
    const weightsPath = path.join(dir, 'adapter_model.safetensors');
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(weightsPath)), weightsPath);
    try {
      const emb = tensors.get('prompt_embeddings');
      const shape = [config.numVirtualTokens, config.numLayers * 2 * config.tokenDim];
      if (!emb || emb.shape.join() !== shape.join()) throw new CheckpointError(`${weightsPath}: expected "prompt_embeddings" of shape [${shape}], got ${emb ? `[${emb.shape}]` : 'none'}`);
      // Saved prefixes are already projected, so the loaded encoder is a plain table (PEFT's inference mode).
      const wrapped = new PrefixTuningModel(model, { ...config, prefixProjection: false });
      const extra = wrapped.modulesToSaveParams();
      const missing = extra.filter(([n]) => !tensors.has(`base_model.${n}`)).map(([n]) => `base_model.${n}`);
      if (missing.length) throw new CheckpointError(`${weightsPath}: missing ${missing.join(', ')}`);
      wrapped.encoder.embedding.weight.value.assign(emb);
      for (const [n, p] of extra) p.assignFromCheckpoint(tensors.get(`base_model.${n}`) as tf.Tensor);
      return wrapped;
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
  }
}
