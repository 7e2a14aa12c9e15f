// BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding (Devlin et al., 2019).
// Follows Hugging Face transformers `models/bert/modeling_bert.py` (v4.40, eager attention), bottom-up.
import * as tf from '@tensorflow/tfjs-core';
import {
  getActivation, paddingMask, Random, scaledDotProductAttention, ShapeError,
  type HfConfig, type PretrainedModel, type SavePretrainedOptions,
} from '@tfkit/core-tensor';
import {
  attentionMaskInput, checkInputsObject, Dropout, Embedding, floatInput, InputError, intInput, LayerNorm, Linear, linearActivated, Module, ModuleList, tokenIds,
  type IntInput as IdsInput,
} from '@tfkit/layers';
import { bertConfig, type BertConfig, type BertConfigInput } from './bert-config.js';
import { bertFromPretrained, saveBertCheckpoint, type BertFromPretrainedOptions, type BertModelClass, type LoadReport } from './bert-weights.js';

/** Integer inputs: a tensor or nested number arrays (`[batch, seq]`; a mask may be `[batch, seq, seq]`). */
export type IntInput = IdsInput | number[][][];

export { toIntTensor } from '@tfkit/layers';

export interface BertModelInputs {
  /** `[batch, seq]` token ids. */
  inputIds?: IntInput;
  /**
   * `[batch, seq]` 1 for tokens to attend to, 0 for padding (default all ones); or `[batch, seq, seq]`.
   * With `pastKeyValues` it covers the past too: `[batch, pastLength + seq]`.
   */
  attentionMask?: IntInput;
  /** `[batch, seq]` segment ids (default zeros). */
  tokenTypeIds?: IntInput;
  /** `[batch, seq]` positions (default pastLength … pastLength + seq − 1, as Hugging Face). */
  positionIds?: IntInput;
  /**
   * Keys/values every layer attends to before the input's own (one `{ key, value }`
   * `[batch, heads, pastLength, headDim]` per layer): how prefix tuning feeds its virtual tokens.
   */
  pastKeyValues?: readonly LayerKeyValue[] | null;
  /** `[batch, seq, hidden]` embeddings to use instead of looking up `inputIds`. */
  inputsEmbeds?: tf.Tensor;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface BertModelOutput {
  /** `[batch, seq, hidden]` */
  lastHiddenState: tf.Tensor;
  /** `[batch, hidden]` tanh(dense(h[:, 0])), when the model has a pooler. */
  poolerOutput?: tf.Tensor;
  /** Embedding output then each layer's output, `[batch, seq, hidden]` each. */
  hiddenStates?: tf.Tensor[];
  /** Each layer's attention probabilities `[batch, heads, seq, seq]`. */
  attentions?: tf.Tensor[];
}

/** One layer's past keys and values, `[batch, heads, pastLength, headDim]` each. */
export interface LayerKeyValue {
  key: tf.Tensor;
  value: tf.Tensor;
}

/** Initialisation shared by every BERT module: N(0, initializer_range) weights, zero biases (as Hugging Face). */
export interface BertInit {
  std: number;
  rng: Random;
}

/** Word + position + token-type embeddings, then LayerNorm and dropout. */
export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, init: BertInit) {
    super();
    const opts = { initStd: init.std, rng: init.rng };
    this.word_embeddings = new Embedding(config.vocabSize, config.hiddenSize, { ...opts, paddingIdx: config.padTokenId ?? undefined });
    this.position_embeddings = new Embedding(config.maxPositionEmbeddings, config.hiddenSize, opts);
    this.token_type_embeddings = new Embedding(config.typeVocabSize, config.hiddenSize, opts);
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb, { rng: init.rng.fork() });
  }

  /** ids `[B, T]` (or `inputsEmbeds` `[B, T, C]`) → `[B, T, C]` */
  forward(inputIds: tf.Tensor | null, tokenTypeIds: tf.Tensor, positionIds: tf.Tensor, inputsEmbeds?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const words = inputsEmbeds ?? this.word_embeddings.forward(inputIds as tf.Tensor);
      const embeddings = tf.add(tf.add(words, this.token_type_embeddings.forward(tokenTypeIds)), this.position_embeddings.forward(positionIds));
      return this.dropout.forward(this.LayerNorm.forward(embeddings));
    });
  }
}

/** Multi-head scaled dot-product self-attention; `query`/`key`/`value` named as in the checkpoints. */
export class BertSelfAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.numHeads = config.numAttentionHeads;
    this.headDim = config.hiddenSize / config.numAttentionHeads;
    const opts = { initStd: init.std, rng: init.rng };
    this.query = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.key = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.value = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.dropout = new Dropout(config.attentionProbsDropoutProb, { rng: init.rng.fork() });
  }

  /** `[B, T, C]` → `[B, H, T, D]` */
  private splitHeads(x: tf.Tensor, b: number, t: number): tf.Tensor {
    return tf.transpose(tf.reshape(x, [b, t, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /**
   * hidden `[B, T, C]`, additive mask `[B, 1, 1|T, P + T]`, optional past keys/values `[B, H, P, D]`
   * (attended to before the input's own) → context `[B, T, C]` and probabilities `[B, H, T, P + T]`.
   */
  forward(hidden: tf.Tensor, mask: tf.Tensor | null, outputAttentions: boolean, past: LayerKeyValue | null = null): { context: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const [b, t, c] = hidden.shape as [number, number, number];
      const q = this.splitHeads(this.query.forward(hidden), b, t);
      const kNew = this.splitHeads(this.key.forward(hidden), b, t);
      const vNew = this.splitHeads(this.value.forward(hidden), b, t);
      const k = past ? tf.concat([past.key, kNew], 2) : kNew;
      const v = past ? tf.concat([past.value, vNew], 2) : vNew;
      const { output, probs } = scaledDotProductAttention(q, k, v, mask, {
        returnProbs: outputAttentions,
        dropout: this.training && this.dropout.p > 0 ? (p) => this.dropout.forward(p) : undefined,
      });
      const context = tf.reshape(tf.transpose(output, [0, 2, 1, 3]), [b, t, c]);
      return probs ? { context, probs } : { context };
    });
  }
}

/** Projection of the attention context, dropout, residual and LayerNorm. */
export class BertSelfOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { initStd: init.std, rng: init.rng });
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb, { rng: init.rng.fork() });
  }

  forward(hidden: tf.Tensor, residual: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.LayerNorm.forward(tf.add(this.dropout.forward(this.dense.forward(hidden)), residual)));
  }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.self = new BertSelfAttention(config, init);
    this.output = new BertSelfOutput(config, init);
  }

  forward(hidden: tf.Tensor, mask: tf.Tensor | null, outputAttentions: boolean, past: LayerKeyValue | null = null): { output: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const { context, probs } = this.self.forward(hidden, mask, outputAttentions, past);
      const output = this.output.forward(context, hidden);
      return probs ? { output, probs } : { output };
    });
  }
}

/** First half of the feed-forward block: `[B, T, C]` → act(dense) `[B, T, I]`. */
export class BertIntermediate extends Module {
  dense: Linear;
  private readonly activation: string;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.intermediateSize, { initStd: init.std, rng: init.rng });
    getActivation(config.hiddenAct); // an unknown name fails here, not at the first forward
    this.activation = config.hiddenAct;
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    return linearActivated(this.dense, hidden, this.activation);
  }
}

/** Second half of the feed-forward block: `[B, T, I]` → LayerNorm(dropout(dense) + residual) `[B, T, C]`. */
export class BertOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.dense = new Linear(config.intermediateSize, config.hiddenSize, { initStd: init.std, rng: init.rng });
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb, { rng: init.rng.fork() });
  }

  forward(hidden: tf.Tensor, residual: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.LayerNorm.forward(tf.add(this.dropout.forward(this.dense.forward(hidden)), residual)));
  }
}

/** One post-LayerNorm transformer encoder layer: attention, then feed-forward. */
export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.attention = new BertAttention(config, init);
    this.intermediate = new BertIntermediate(config, init);
    this.output = new BertOutput(config, init);
  }

  forward(hidden: tf.Tensor, mask: tf.Tensor | null, outputAttentions: boolean, past: LayerKeyValue | null = null): { output: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const { output: attended, probs } = this.attention.forward(hidden, mask, outputAttentions, past);
      const output = this.output.forward(this.intermediate.forward(attended), attended);
      return probs ? { output, probs } : { output };
    });
  }
}

export class BertEncoder extends Module {
  layer: ModuleList<BertLayer>;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.layer = new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new BertLayer(config, init)));
  }

  forward(hidden: tf.Tensor, mask: tf.Tensor | null, options: { outputHiddenStates: boolean; outputAttentions: boolean; pastKeyValues?: readonly LayerKeyValue[] | null }): BertModelOutput {
    return tf.tidy(() => {
      const hiddenStates: tf.Tensor[] = [hidden];
      const attentions: tf.Tensor[] = [];
      let h = hidden;
      for (const [i, layer] of [...this.layer].entries()) {
        const { output, probs } = layer.forward(h, mask, options.outputAttentions, options.pastKeyValues?.[i] ?? null);
        if (probs) attentions.push(probs);
        hiddenStates.push(output);
        h = output;
      }
      const out: BertModelOutput = { lastHiddenState: h };
      if (options.outputHiddenStates) out.hiddenStates = hiddenStates;
      if (options.outputAttentions) out.attentions = attentions;
      return out as unknown as tf.TensorContainer;
    }) as unknown as BertModelOutput;
  }
}

/** tanh(dense(h[:, 0])): the `[CLS]` representation used by NSP and sequence classification. */
export class BertPooler extends Module {
  dense: Linear;

  constructor(config: BertConfig, init: BertInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { initStd: init.std, rng: init.rng });
  }

  /** `[B, T, C]` → `[B, C]` */
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [b, , c] = hidden.shape as [number, number, number];
      const first = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, c]), [b, c]);
      return tf.tanh(this.dense.forward(first));
    });
  }
}

export interface BertModelOptions {
  /** Seed of the weight initialisation and dropout masks (default 0). */
  seed?: number;
  /** The generator to initialise from (instead of `seed`). */
  rng?: Random;
  /** The `config.json` this model was loaded from: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
}

/** What every BERT model shares: the config, Hugging Face naming, save and load. */
export abstract class BertPreTrainedModel extends Module implements PretrainedModel {
  readonly modelType = 'bert';
  readonly config: BertConfig;
  /** The loaded `config.json` (or `{}`), the base that `savePretrained` writes over. */
  readonly hfConfig: HfConfig;
  /** Weights the checkpoint lacked (kept at their initial values) or held in excess (ignored). */
  loadReport: LoadReport = { missing: [], unexpected: [] };
  /** The Hugging Face class name. */
  abstract readonly architecture: string;
  /** The submodule whose names carry no prefix in a BertModel checkpoint (`bert` in task models). */
  abstract readonly basePrefix: string;

  constructor(config: BertConfigInput, options: BertModelOptions = {}) {
    super();
    this.config = bertConfig(config);
    this.hfConfig = options.hfConfig ?? {};
  }

  /** Loads a checkpoint (directory, URL or hub id) into this class, whatever `config.architectures` says. */
  static async fromPretrained<T extends BertPreTrainedModel>(
    this: BertModelClass<T>,
    source: string,
    options: BertFromPretrainedOptions = {},
  ): Promise<T> {
    return bertFromPretrained(this, source, options);
  }

  /** Writes `config.json` and `model.safetensors` (tied weights dropped, as Hugging Face does). */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    await saveBertCheckpoint(this, dir, options);
  }
}

/** The BERT encoder: embeddings, a stack of layers, and (optionally) the pooler. */
export class BertModel extends BertPreTrainedModel {
  static readonly architecture = 'BertModel';
  readonly architecture = BertModel.architecture;
  readonly basePrefix = '';
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler | null;

  constructor(config: BertConfigInput, options: BertModelOptions & { addPoolingLayer?: boolean } = {}) {
    super(config, options);
    const init: BertInit = { std: this.config.initializerRange, rng: options.rng ?? new Random(options.seed ?? 0) };
    this.embeddings = new BertEmbeddings(this.config, init);
    this.encoder = new BertEncoder(this.config, init);
    this.pooler = (options.addPoolingLayer ?? true) ? new BertPooler(this.config, init) : null;
  }

  forward(inputs: BertModelInputs): BertModelOutput {
    return tf.tidy(() => {
      const { ids, embeds, tokenTypeIds, positionIds, mask, past } = this.checkInputs(inputs, 'BertModel.forward');
      const embedded = this.embeddings.forward(ids, tokenTypeIds, positionIds, embeds);
      const out = this.encoder.forward(embedded, mask, {
        outputHiddenStates: inputs.outputHiddenStates ?? false,
        outputAttentions: inputs.outputAttentions ?? false,
        pastKeyValues: past,
      });
      if (this.pooler) out.poolerOutput = this.pooler.forward(out.lastHiddenState);
      return out as unknown as tf.TensorContainer;
    }) as unknown as BertModelOutput;
  }

  /**
   * Every input checked against the model and made a tensor (inside the caller's tidy): ids in the
   * vocabulary, token types and positions in their tables, masks and ids of one shape, no ragged,
   * empty or over-long batch. Host arrays are checked as they are copied; see `intInput` for tensors.
   */
  private checkInputs(inputs: BertModelInputs, where: string) {
    checkInputsObject(inputs, 'inputIds, attentionMask', where);
    const c = this.config;
    if (inputs.inputIds !== undefined && inputs.inputsEmbeds !== undefined) {
      throw new InputError(`${where}: give inputIds or inputsEmbeds, not both`, { argument: 'inputsEmbeds' });
    }
    // The table's rows, not config.vocabSize: they are what the lookup reads.
    const vocab = this.embeddings.word_embeddings.weight.shape[0] as number;
    const ids = inputs.inputIds !== undefined ? tokenIds(inputs.inputIds, vocab, where) : null;
    const embeds = inputs.inputsEmbeds !== undefined
      ? floatInput(inputs.inputsEmbeds, { name: 'inputsEmbeds', ranks: [3], shape: [undefined, undefined, c.hiddenSize] }, where)
      : undefined;
    if (!ids && !embeds) throw new InputError(`${where}: give inputIds or inputsEmbeds`, { argument: 'inputIds' });
    const [b, t] = (ids ?? (embeds as tf.Tensor)).shape as [number, number];
    const past = inputs.pastKeyValues ?? null;
    const pastLen = past ? checkPast(past, b, c.numHiddenLayers, c.numAttentionHeads, c.hiddenSize / c.numAttentionHeads) : 0;
    if (pastLen + t > c.maxPositionEmbeddings) {
      throw new InputError(
        `${where}: ${pastLen ? `past length ${pastLen} + ` : ''}sequence length ${t} exceeds max_position_embeddings ${c.maxPositionEmbeddings}; truncate the input`,
        { argument: ids ? 'inputIds' : 'inputsEmbeds' },
      );
    }
    const tokenTypeIds = inputs.tokenTypeIds !== undefined
      ? intInput(inputs.tokenTypeIds, {
        name: 'tokenTypeIds', shape: [[1, b], t],
        range: { high: c.typeVocabSize, problem: `is outside the token types [0, ${c.typeVocabSize}) (type_vocab_size)` },
      }, where)
      : tf.zeros([b, t], 'int32');
    const positionIds = inputs.positionIds !== undefined
      ? intInput(inputs.positionIds, {
        name: 'positionIds', shape: [[1, b], t],
        range: { high: c.maxPositionEmbeddings, problem: `is outside the position table [0, ${c.maxPositionEmbeddings}) (max_position_embeddings)` },
      }, where)
      : tf.broadcastTo(tf.range(pastLen, pastLen + t, 1, 'int32'), [b, t]);
    let mask: tf.Tensor | null = null;
    if (inputs.attentionMask !== undefined) {
      const m = attentionMaskInput(inputs.attentionMask, undefined, where, { ranks: [2, 3] });
      const expected = m.rank === 2 ? [b, pastLen + t] : [b, t, pastLen + t];
      if (m.shape.join() !== expected.join()) {
        throw new InputError(
          `${where}: attentionMask is [${m.shape}], expected [${expected}] (${m.rank === 3 ? 'batch, query, ' : 'batch, '}${pastLen ? 'past + ' : ''}input tokens)`,
          { argument: 'attentionMask' },
        );
      }
      mask = extendedAttentionMask(m);
    }
    return { ids, embeds, tokenTypeIds, positionIds, mask, past };
  }
}

/** Checks `pastKeyValues` against the model (one `[B, H, P, D]` key and value per layer); returns P. */
function checkPast(past: readonly LayerKeyValue[], b: number, layers: number, heads: number, headDim: number): number {
  const where = 'BertModel.forward';
  if (!Array.isArray(past) || past.length !== layers) {
    throw new InputError(`${where}: pastKeyValues has ${Array.isArray(past) ? past.length : 'no'} layers, the model ${layers}`, { argument: 'pastKeyValues' });
  }
  const first: unknown = (past[0] as LayerKeyValue | undefined)?.key;
  const pastLen = first instanceof tf.Tensor ? (first.shape[2] ?? 0) : 0;
  past.forEach((kv, i) => {
    for (const x of [kv?.key, kv?.value] as unknown[]) {
      if (!(x instanceof tf.Tensor) || x.isDisposed) {
        throw new InputError(`${where}: pastKeyValues[${i}] must hold { key, value } tensors [batch, heads, past length, head size]`, { argument: 'pastKeyValues', index: [i] });
      }
      if (x.shape.join() !== [b, heads, pastLen, headDim].join()) {
        throw new InputError(
          `${where}: pastKeyValues[${i}] is [${x.shape}], expected [${b}, ${heads}, ${pastLen}, ${headDim}] (batch, heads, past length, head size)`,
          { argument: 'pastKeyValues', index: [i] },
        );
      }
    }
  });
  return pastLen;
}

/** 0/1 mask `[B, T]` (or `[B, Tq, Tk]`) → additive mask broadcastable to `[B, H, Tq, Tk]`. */
export function extendedAttentionMask(mask: tf.Tensor): tf.Tensor {
  if (mask.rank === 2) return paddingMask(mask);
  if (mask.rank === 3) {
    return tf.tidy(() => {
      const [b, tq, tk] = mask.shape as [number, number, number];
      return tf.reshape(paddingMask(tf.reshape(mask, [b * tq, tk])), [b, 1, tq, tk]);
    });
  }
  throw new ShapeError(`BERT attentionMask must be [batch, seq] or [batch, seq, seq], got [${mask.shape}]`);
}
