// GPT-2: "Language Models are Unsupervised Multitask Learners" (Radford et al., 2019).
// Follows Hugging Face transformers' modeling_gpt2.py (eager attention), written nanoGPT-style.
import * as tf from '@tensorflow/tfjs-core';
import {
  cachedAttentionInPlace, cachedAttentionStep, causalMask, getActivation, KvCache, paddingMask, Random, scaledDotProductAttention,
  type HfConfig, type PretrainedModel, type SavePretrainedOptions,
} from '@tfkit/core-tensor';
import { attentionMaskInput, Dropout, Embedding, InputError, intInput, LayerNorm, Linear, linearActivated, Module, ModuleList, tokenIds, type IntInput } from '@tfkit/layers';
import { gpt2Config, innerDim, type Gpt2Config, type Gpt2ConfigInput } from './gpt2-config.js';
import { gpt2FromPretrained, saveGpt2Checkpoint, type Gpt2FromPretrainedOptions, type Gpt2ModelClass, type LoadReport } from './gpt2-weights.js';

/** Keys and values of one layer, `[batch, heads, length, headDim]` each. */
export type LayerKeyValue = {
  key: tf.Tensor4D;
  value: tf.Tensor4D;
};
/** One entry per layer (Hugging Face's `past_key_values`). */
export type PastKeyValues = LayerKeyValue[];

/** Ids, masks and positions as tensors or nested arrays. */
export type { IntInput } from '@tfkit/layers';
export { toIntTensor } from '@tfkit/layers';

export interface Gpt2ModelInputs {
  /** `[batch, length]` token ids. */
  inputIds: IntInput;
  /** `[batch, pastLength + length]`: 1 for tokens to attend to, 0 for padding. */
  attentionMask?: IntInput;
  /** `[batch, length]` positions; default `pastLength … pastLength + length − 1`. */
  positionIds?: IntInput;
  /** Keys/values of earlier tokens (not disposed by the model). */
  pastKeyValues?: PastKeyValues | null;
  /**
   * Instead of `pastKeyValues`: a preallocated cache (`KvCache` of nLayer layers) holding the
   * earlier tokens, which the step reads and extends (its `length` grows by the new tokens). A
   * one-token step writes its keys/values into the cache's buffers in place where the backend has
   * the kernel (tfkit's wasm kernels), with no copy of the past; otherwise the cache's buffers are
   * replaced by copies. `pastKeyValues` is not returned then (the cache holds them). The caller
   * owns and disposes the cache; `GPT2LMHeadModel`'s decoding session (`generate`) uses one.
   */
  kvCache?: KvCache | null;
  /** Return the keys/values of all tokens so far as `pastKeyValues`. */
  useCache?: boolean;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface Gpt2ModelOutput {
  /** `[batch, length, nEmbd]`, after the final layer norm. */
  lastHiddenState: tf.Tensor3D;
  pastKeyValues?: PastKeyValues;
  /** Embedding output, each block's output, and the last one after `ln_f` (nLayer + 1 tensors). */
  hiddenStates?: tf.Tensor3D[];
  /** Attention probabilities per layer, `[batch, heads, length, pastLength + length]`. */
  attentions?: tf.Tensor4D[];
}

/** Where new weights come from. */
export interface Gpt2Init {
  std: number;
  rng: Random;
}

/** Causal multi-head self-attention; `c_attn` projects to q, k, v at once (GPT-2's Conv1D, [in, out]). */
export class GPT2Attention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  private readonly nHead: number;
  private readonly scale: number;

  constructor(config: Gpt2Config, layerIdx: number, init: Gpt2Init) {
    super();
    const c = config.nEmbd;
    this.nHead = config.nHead;
    this.c_attn = new Linear(c, 3 * c, { checkpointLayout: 'same', initStd: init.std, rng: init.rng });
    // GPT-2 scales residual projections by 1/√(2·nLayer) at init.
    this.c_proj = new Linear(c, c, { checkpointLayout: 'same', initStd: init.std / Math.sqrt(2 * config.nLayer), rng: init.rng });
    this.attn_dropout = new Dropout(config.attnPdrop, { rng: init.rng.fork() });
    this.resid_dropout = new Dropout(config.residPdrop, { rng: init.rng.fork() });
    const headDim = c / config.nHead;
    this.scale = (config.scaleAttnWeights ? Math.sqrt(headDim) : 1) * (config.scaleAttnByInverseLayerIdx ? layerIdx + 1 : 1);
  }

  /**
   * x `[B, T, C]`, mask additive `[B|1, 1, T, Tpast + T]` or null (nothing hidden) → output
   * `[B, T, C]` and this layer's keys/values. With `cache` (layer `layer` of a `KvCache`, read as
   * the past instead of `past`): the keys/values go into the cache, in place where the backend
   * allows (the caller advances its length once every layer has run), and `present` is null.
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor | null, past: LayerKeyValue | null, outputAttentions: boolean): { output: tf.Tensor3D; present: LayerKeyValue; probs: tf.Tensor4D | undefined };
  forward(x: tf.Tensor3D, mask: tf.Tensor | null, past: LayerKeyValue | null, outputAttentions: boolean, cache?: { kv: KvCache; layer: number }): {
    output: tf.Tensor3D; present: LayerKeyValue | null; probs: tf.Tensor4D | undefined;
  };
  forward(x: tf.Tensor3D, mask: tf.Tensor | null, past: LayerKeyValue | null, outputAttentions: boolean, cache?: { kv: KvCache; layer: number }): {
    output: tf.Tensor3D; present: LayerKeyValue | null; probs: tf.Tensor4D | undefined;
  } {
    const [b, t, c] = x.shape;
    const h = this.nHead;
    const hd = c / h;
    // q, k and v side by side as 3·H heads (B, 3H, T, hd): one transpose for all three, none when
    // T = 1 (a decoding step), where the layout is already this one.
    const qkv = this.c_attn.forward(x); // (B, T, 3C)
    // A decoding step outside training: one fused kernel on tfkit's wasm kernels (null elsewhere).
    const dropping = this.attn_dropout.training && this.attn_dropout.p > 0;
    if (cache) {
      // The cache's buffers written in place: no copy of the past (tfkit's wasm kernels).
      const buffers = cache.kv.layer(cache.layer);
      const inPlace = t === 1 && !outputAttentions && !dropping && buffers ? cachedAttentionInPlace(qkv, buffers, cache.kv.length, mask, h, 1 / this.scale) : null;
      if (inPlace) return { output: this.resid_dropout.forward(this.c_proj.forward(inPlace)) as tf.Tensor3D, present: null, probs: undefined };
      // Otherwise the copying path below on the cache's past; its result replaces the buffers.
      past = cache.kv.past(cache.layer);
    }
    const step = t === 1 && !outputAttentions && !dropping ? cachedAttentionStep(qkv, past, mask, h, 1 / this.scale) : null;
    if (step) {
      const output = this.resid_dropout.forward(this.c_proj.forward(step.output)) as tf.Tensor3D;
      if (cache) cache.kv.write(cache.layer, step.key, step.value);
      return { output, present: cache ? null : { key: step.key, value: step.value }, probs: undefined };
    }
    const heads = t === 1 ? tf.reshape(qkv, [b, 3 * h, 1, hd]) : tf.transpose(tf.reshape(qkv, [b, t, 3 * h, hd]), [0, 2, 1, 3]);
    const [q, kNew, vNew] = tf.split(heads, 3, 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]; // (B, H, T, hd)
    const k = past ? (tf.concat([past.key, kNew], 2) as tf.Tensor4D) : kNew; // (B, H, Tk, hd)
    const v = past ? (tf.concat([past.value, vNew], 2) as tf.Tensor4D) : vNew;
    // Per-head 2-D matMuls on wasm where a head has enough work (the prompt, training), one batched
    // matMul otherwise (a decoding step); the scale is applied to q rather than to the scores.
    const att = scaledDotProductAttention(q, k, v, mask, {
      scale: 1 / this.scale, returnProbs: outputAttentions, dropout: (p) => this.attn_dropout.forward(p),
    });
    const y = att.output; // (B, H, T, hd)
    const merged = t === 1 ? tf.reshape(y, [b, 1, c]) : tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, t, c]);
    const output = this.resid_dropout.forward(this.c_proj.forward(merged)) as tf.Tensor3D;
    if (cache) cache.kv.write(cache.layer, k, v);
    return { output, present: cache ? null : { key: k, value: v }, probs: att.probs as tf.Tensor4D | undefined };
  }
}

export class GPT2MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;
  private readonly activation: string;

  constructor(config: Gpt2Config, init: Gpt2Init) {
    super();
    const inner = innerDim(config);
    this.c_fc = new Linear(config.nEmbd, inner, { checkpointLayout: 'same', initStd: init.std, rng: init.rng });
    this.c_proj = new Linear(inner, config.nEmbd, { checkpointLayout: 'same', initStd: init.std / Math.sqrt(2 * config.nLayer), rng: init.rng });
    this.dropout = new Dropout(config.residPdrop, { rng: init.rng.fork() });
    getActivation(config.activationFunction); // an unknown name fails here, not at the first forward
    this.activation = config.activationFunction;
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    // The GELU inside c_fc's product (one kernel on wasm) unless c_fc was replaced (LoRA's).
    const h = linearActivated(this.c_fc, x, this.activation);
    return this.dropout.forward(this.c_proj.forward(h)) as tf.Tensor3D;
  }
}

/** What a block returns with its MLP residual left unadded (`GPT2Block.forwardDeferred`). */
export interface Gpt2BlockDeferred {
  /** The block's input: `x + delta`, or `x` when there was no delta. */
  input: tf.Tensor3D;
  /** The residual stream after the attention half: input + attn(ln_1(input)). */
  hidden: tf.Tensor3D;
  /** mlp(ln_2(hidden)), still to be added to `hidden` to give the block's output. */
  delta: tf.Tensor3D;
  /** This layer's keys/values (null when they went into a `KvCache`). */
  present: LayerKeyValue | null;
  probs: tf.Tensor4D | undefined;
}

/** Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;

  constructor(config: Gpt2Config, layerIdx: number, init: Gpt2Init) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon });
    this.attn = new GPT2Attention(config, layerIdx, init);
    this.ln_2 = new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon });
    this.mlp = new GPT2MLP(config, init);
  }

  forward(x: tf.Tensor3D, mask: tf.Tensor | null, past: LayerKeyValue | null, outputAttentions: boolean) {
    const out = this.forwardDeferred(x, null, mask, past, outputAttentions);
    if (!out.present) throw new Error('GPT2Block.forward: no keys/values (unreachable without a KvCache)');
    return { hidden: tf.add(out.hidden, out.delta) as tf.Tensor3D, present: out.present, probs: out.probs };
  }

  /**
   * The block on `x + delta` (`delta` = the previous block's MLP output, or null), with its own
   * MLP output returned unadded. Each residual addition then happens together with the layer
   * norm that follows it (`LayerNorm.forwardAdd`: one fused kernel on tfkit's wasm kernels)
   * instead of as a kernel of its own. `GPT2Model` chains blocks this way.
   */
  forwardDeferred(
    x: tf.Tensor3D, delta: tf.Tensor3D | null, mask: tf.Tensor | null, past: LayerKeyValue | null, outputAttentions: boolean,
    cache?: { kv: KvCache; layer: number },
  ): Gpt2BlockDeferred {
    const first = delta ? this.ln_1.forwardAdd(x, delta) : { sum: x, normed: this.ln_1.forward(x) };
    const input = first.sum as tf.Tensor3D;
    const a = this.attn.forward(first.normed as tf.Tensor3D, mask, past, outputAttentions, cache);
    const second = this.ln_2.forwardAdd(input, a.output);
    return { input, hidden: second.sum as tf.Tensor3D, delta: this.mlp.forward(second.normed as tf.Tensor3D), present: a.present, probs: a.probs };
  }
}

/**
 * Additive attention mask `[B|1, 1, T, Tpast + T]`. The causal and padding parts are added without
 * saturating, as Hugging Face's `where(causal, w, min) + (1 − mask)·min` does: a key that is both
 * in the future and padding gets −∞, one that is either gets the float32 minimum. Only rows whose
 * query is padding see the difference, and they match Hugging Face exactly this way.
 */
export function gpt2AttentionMask(queryLen: number, keyLen: number, attentionMask: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const causal = causalMask(queryLen, keyLen);
    return attentionMask ? tf.add(causal, paddingMask(attentionMask)) : causal;
  });
}

export interface Gpt2ModelOptions {
  /** Seed of the weight initialisation and dropout masks (default 0). */
  seed?: number;
  rng?: Random;
  /** The loaded `config.json`: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
  /** The loaded `generation_config.json`, written back on save. */
  hfGenerationConfig?: HfConfig;
}

/** What every GPT-2 model shares: the config, Hugging Face naming, saving. */
export abstract class GPT2PreTrainedModel extends Module implements PretrainedModel {
  readonly modelType = 'gpt2';
  readonly config: Gpt2Config;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  loadReport: LoadReport = { missing: [], unexpected: [] };
  abstract readonly architecture: string;
  /** The submodule holding the backbone in task models (`transformer`); '' for GPT2Model itself. */
  abstract readonly basePrefix: string;

  constructor(config: Gpt2ConfigInput, options: Gpt2ModelOptions = {}) {
    super();
    this.config = gpt2Config(config);
    this.hfConfig = options.hfConfig ?? {};
    this.hfGenerationConfig = options.hfGenerationConfig;
  }

  /** The most tokens a sequence may hold (the learned position table, n_positions); `generate` refuses more. */
  get maxPositions(): number {
    return this.config.nPositions;
  }

  /** Loads a checkpoint (directory, URL or hub id) into this class, whatever `config.architectures` says. */
  static async fromPretrained<T extends GPT2PreTrainedModel>(this: Gpt2ModelClass<T>, source: string, options: Gpt2FromPretrainedOptions = {}): Promise<T> {
    return gpt2FromPretrained(this, source, options);
  }

  /** Writes config.json, model.safetensors (tied lm_head dropped) and generation_config.json. */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    await saveGpt2Checkpoint(this, dir, options);
  }
}

/** Token + position embeddings, a stack of blocks, a final layer norm. */
export class GPT2Model extends GPT2PreTrainedModel {
  static readonly architecture = 'GPT2Model';
  readonly architecture = GPT2Model.architecture;
  readonly basePrefix = '';
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<GPT2Block>;
  ln_f: LayerNorm;

  constructor(config: Gpt2ConfigInput, options: Gpt2ModelOptions = {}) {
    super(config, options);
    const c = this.config;
    const init: Gpt2Init = { std: c.initializerRange, rng: options.rng ?? new Random(options.seed ?? 0) };
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { initStd: init.std, rng: init.rng });
    this.wpe = new Embedding(c.nPositions, c.nEmbd, { initStd: init.std, rng: init.rng });
    this.drop = new Dropout(c.embdPdrop, { rng: init.rng.fork() });
    this.h = new ModuleList(Array.from({ length: c.nLayer }, (_, i) => new GPT2Block(c, i, init)));
    this.ln_f = new LayerNorm(c.nEmbd, { eps: c.layerNormEpsilon });
  }

  forward(inputs: Gpt2ModelInputs): Gpt2ModelOutput {
    return tf.tidy(() => {
      const { ids, mask, positions, past, pastLen, t, kvCache } = this.checkInputs(inputs, 'GPT2Model.forward');
      // Room for this step's positions in the cache's buffers (grown geometrically when full).
      kvCache?.reserve(t);
      const tokens = this.wte.forward(ids) as tf.Tensor3D; // (B, T, C)
      const positionEmbeddings = this.wpe.forward(positions) as tf.Tensor3D; // (B|1, T, C)
      // The residual stream is carried as x plus a pending delta, added by the next layer norm
      // (one fused kernel where the backend has it). Without active dropout the embedding sum is
      // the first such addition.
      const dropping = this.drop.training && this.drop.p > 0;
      let x = dropping ? (this.drop.forward(tf.add(tokens, positionEmbeddings)) as tf.Tensor3D) : tokens;
      let delta: tf.Tensor3D | null = dropping ? null : positionEmbeddings;
      // A single new token may see every key: no mask at all unless there is padding.
      const attnMask = t === 1 && !mask ? null : gpt2AttentionMask(t, pastLen + t, mask);
      const hiddenStates: tf.Tensor3D[] = [];
      const attentions: tf.Tensor4D[] = [];
      const presents: PastKeyValues = [];
      [...this.h].forEach((block, i) => {
        const out = block.forwardDeferred(x, delta, attnMask, past?.[i] ?? null, inputs.outputAttentions ?? false, kvCache ? { kv: kvCache, layer: i } : undefined);
        if (inputs.outputHiddenStates) hiddenStates.push(out.input);
        x = out.hidden;
        delta = out.delta;
        if (out.present) presents.push(out.present);
        if (out.probs) attentions.push(out.probs);
      });
      // Every layer holds this step's keys/values now.
      kvCache?.advance(t);
      x = (delta ? this.ln_f.forwardAdd(x, delta).normed : this.ln_f.forward(x)) as tf.Tensor3D;
      if (inputs.outputHiddenStates) hiddenStates.push(x);
      const result: Gpt2ModelOutput = { lastHiddenState: x };
      if (inputs.useCache && !kvCache) result.pastKeyValues = presents;
      if (inputs.outputHiddenStates) result.hiddenStates = hiddenStates;
      if (inputs.outputAttentions) result.attentions = attentions;
      return result as unknown as tf.TensorContainer;
    }) as unknown as Gpt2ModelOutput;
  }

  /**
   * Every input checked against the model and made a tensor (inside the caller's tidy): ids in the
   * vocabulary, positions in the table, a 0/1 mask covering past and new tokens, past keys/values
   * of the model's shape, no ragged, empty or over-long batch.
   */
  private checkInputs(inputs: Gpt2ModelInputs, where: string) {
    if (inputs === null || typeof inputs !== 'object') {
      throw new InputError(`${where}: pass an object of inputs ({ inputIds, attentionMask, … }), got ${inputs === null ? 'null' : typeof inputs}`, { argument: 'inputs' });
    }
    const c = this.config;
    if (inputs.inputIds === undefined) throw new InputError(`${where}: give inputIds`, { argument: 'inputIds' });
    // The table's rows, not config.vocabSize: they are what the lookup reads (and follow resizeTokenEmbeddings).
    const ids = tokenIds(inputs.inputIds, this.wte.weight.shape[0] as number, where);
    const [b, t] = ids.shape as [number, number];
    const past = inputs.pastKeyValues ?? null;
    const kvCache = inputs.kvCache ?? null;
    if (kvCache && past) throw new InputError(`${where}: give pastKeyValues or kvCache, not both`, { argument: 'kvCache' });
    const pastLen = kvCache ? checkKvCache(kvCache, b, c, where) : past ? checkPast(past, b, c, where) : 0;
    if (pastLen + t > c.nPositions) {
      throw new InputError(`${where}: ${pastLen + t} positions${pastLen ? ` (${pastLen} cached + ${t} new)` : ''} exceed n_positions ${c.nPositions}; shorten the input`, { argument: 'inputIds' });
    }
    const mask = inputs.attentionMask !== undefined ? attentionMaskInput(inputs.attentionMask, [b, pastLen + t], where) : null;
    const positions = inputs.positionIds !== undefined
      ? intInput(inputs.positionIds, {
        name: 'positionIds', shape: [[1, b], t],
        range: { high: c.nPositions, problem: `is outside the position table [0, ${c.nPositions}) (n_positions)` },
      }, where)
      : tf.tensor2d(Int32Array.from({ length: t }, (_, i) => pastLen + i), [1, t], 'int32'); // uploaded, no kernels
    return { ids, mask, positions, past, pastLen, t, kvCache };
  }
}

/** Checks a `KvCache` against the model (nLayer layers, `[B, nHead, capacity, headDim]` buffers once written); returns its length. */
function checkKvCache(cache: KvCache, b: number, c: Gpt2Config, where: string): number {
  if (!(cache instanceof KvCache) || cache.isDisposed) {
    throw new InputError(`${where}: kvCache must be a live KvCache (from @tfkit/core-tensor)`, { argument: 'kvCache' });
  }
  if (cache.numLayers !== c.nLayer) throw new InputError(`${where}: kvCache has ${cache.numLayers} layers, the model ${c.nLayer}`, { argument: 'kvCache' });
  const first = cache.layer(0);
  if (first) {
    const [rows, heads, , d] = first.key.shape;
    if (rows !== b || heads !== c.nHead || d !== c.nEmbd / c.nHead) {
      throw new InputError(`${where}: kvCache holds [${first.key.shape}] buffers, expected [${b}, ${c.nHead}, capacity, ${c.nEmbd / c.nHead}] (batch, heads, capacity, head size)`, { argument: 'kvCache' });
    }
  }
  return cache.length;
}

/** Checks `pastKeyValues` against the model (one `[B, nHead, P, headDim]` key and value per layer); returns P. */
function checkPast(past: PastKeyValues, b: number, c: Gpt2Config, where: string): number {
  if (!Array.isArray(past) || past.length !== c.nLayer) {
    throw new InputError(`${where}: pastKeyValues has ${Array.isArray(past) ? past.length : 'no'} layers, the model ${c.nLayer}`, { argument: 'pastKeyValues' });
  }
  const first: unknown = (past[0] as LayerKeyValue | undefined)?.key;
  const pastLen = first instanceof tf.Tensor ? (first.shape[2] ?? 0) : 0;
  const expected = [b, c.nHead, pastLen, c.nEmbd / c.nHead];
  past.forEach((kv, i) => {
    for (const x of [kv?.key, kv?.value] as unknown[]) {
      if (!(x instanceof tf.Tensor) || x.isDisposed) {
        throw new InputError(`${where}: pastKeyValues[${i}] must hold { key, value } tensors [batch, heads, past length, head size]`, { argument: 'pastKeyValues', index: [i] });
      }
      if (x.shape.join() !== expected.join()) {
        throw new InputError(`${where}: pastKeyValues[${i}] is [${x.shape}], expected [${expected}] (batch, heads, past length, head size)`, { argument: 'pastKeyValues', index: [i] });
      }
    }
  });
  return pastLen;
}
