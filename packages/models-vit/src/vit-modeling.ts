// An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale (Dosovitskiy et al., 2021).
// Follows Hugging Face transformers `models/vit/modeling_vit.py` (v4.40, eager attention), bottom-up.
import * as tf from '@tensorflow/tfjs-core';
import {
  getActivation, Random, scaledDotProductAttention,
  type HfConfig, type PretrainedModel, type SavePretrainedOptions,
} from '@tfkit/core-tensor';
import { checkInputsObject, Dropout, floatInput, ImageEmbeddings, InputError, LayerNorm, Linear, linearActivated, Module, ModuleList, mergeHeads, splitHeads } from '@tfkit/layers';
import { vitConfig, type ViTConfig, type ViTConfigInput } from './vit-config.js';
import { saveViTCheckpoint, vitFromPretrained, type LoadReport, type ViTFromPretrainedOptions, type ViTModelClass } from './vit-weights.js';

/** Pixel values: a tensor or nested number arrays, `[batch, channels, height, width]` unless `dataFormat` says otherwise. */
export type PixelInput = tf.Tensor | number[][][][];

/** Where the channel axis of `pixelValues` is: NCHW (Hugging Face's layout, the default) or NHWC. */
export type DataFormat = 'channelsFirst' | 'channelsLast';

export interface ViTModelInputs {
  /** `[batch, channels, height, width]` float pixels, preprocessed (see `ViTImageProcessor`). */
  pixelValues: PixelInput;
  /** `channelsLast` takes `[batch, height, width, channels]` (default `channelsFirst`). */
  dataFormat?: DataFormat;
  /**
   * Resize the position embeddings (bicubic, as Hugging Face) for images of another size than
   * `imageSize`; without it such an image is an error.
   */
  interpolatePosEncoding?: boolean;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface ViTModelOutput {
  /** `[batch, 1 + patches, hidden]`, after the final LayerNorm. */
  lastHiddenState: tf.Tensor;
  /** `[batch, poolerOutputSize]` act(dense(h[:, 0])), when the model has a pooler. */
  poolerOutput?: tf.Tensor;
  /** Embedding output then each layer's output (before the final LayerNorm), `[batch, 1 + patches, hidden]` each. */
  hiddenStates?: tf.Tensor[];
  /** Each layer's attention probabilities `[batch, heads, 1 + patches, 1 + patches]`. */
  attentions?: tf.Tensor[];
}

/** Initialisation shared by every ViT module: N(0, initializer_range) weights, zero biases (as Hugging Face). */
export interface ViTInit {
  std: number;
  rng: Random;
}

/** Multi-head self-attention over the patch tokens; `query`/`key`/`value` named as in the checkpoints. */
export class ViTSelfAttention extends Module {
  readonly numHeads: number;
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.numHeads = config.numAttentionHeads;
    const opts = { initStd: init.std, rng: init.rng, bias: config.qkvBias };
    this.query = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.key = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.value = new Linear(config.hiddenSize, config.hiddenSize, opts);
    this.dropout = new Dropout(config.attentionProbsDropoutProb, { rng: init.rng.fork() });
  }

  /** `[B, T, C]` → context `[B, T, C]` and probabilities `[B, H, T, T]` */
  forward(hidden: tf.Tensor, outputAttentions: boolean): { context: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const q = splitHeads(this.query.forward(hidden), this.numHeads); // (B, H, T, D)
      const k = splitHeads(this.key.forward(hidden), this.numHeads);
      const v = splitHeads(this.value.forward(hidden), this.numHeads);
      const { output, probs } = scaledDotProductAttention(q, k, v, null, {
        returnProbs: outputAttentions,
        dropout: this.training && this.dropout.p > 0 ? (p) => this.dropout.forward(p) : undefined,
      });
      const context = mergeHeads(output); // (B, T, C)
      return probs ? { context, probs } : { context };
    });
  }
}

/** Projection of the attention context and dropout (the residual is added in ViTLayer). */
export class ViTSelfOutput extends Module {
  dense: Linear;
  dropout: Dropout;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { initStd: init.std, rng: init.rng });
    this.dropout = new Dropout(config.hiddenDropoutProb, { rng: init.rng.fork() });
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.dropout.forward(this.dense.forward(hidden)));
  }
}

export class ViTAttention extends Module {
  attention: ViTSelfAttention;
  output: ViTSelfOutput;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.attention = new ViTSelfAttention(config, init);
    this.output = new ViTSelfOutput(config, init);
  }

  forward(hidden: tf.Tensor, outputAttentions: boolean): { output: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const { context, probs } = this.attention.forward(hidden, outputAttentions);
      const output = this.output.forward(context);
      return probs ? { output, probs } : { output };
    });
  }
}

/** First half of the MLP: `[B, T, C]` → act(dense) `[B, T, I]`. */
export class ViTIntermediate extends Module {
  dense: Linear;
  private readonly activation: string;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.intermediateSize, { initStd: init.std, rng: init.rng });
    getActivation(config.hiddenAct); // an unknown name fails here, not at the first forward
    this.activation = config.hiddenAct;
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    return linearActivated(this.dense, hidden, this.activation);
  }
}

/** Second half of the MLP: `[B, T, I]` → dropout(dense) + residual `[B, T, C]`. */
export class ViTOutput extends Module {
  dense: Linear;
  dropout: Dropout;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.dense = new Linear(config.intermediateSize, config.hiddenSize, { initStd: init.std, rng: init.rng });
    this.dropout = new Dropout(config.hiddenDropoutProb, { rng: init.rng.fork() });
  }

  forward(hidden: tf.Tensor, residual: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(this.dropout.forward(this.dense.forward(hidden)), residual));
  }
}

/** One pre-LayerNorm encoder layer (paper eq. 2–3): x + MSA(LN(x)), then x + MLP(LN(x)). */
export class ViTLayer extends Module {
  attention: ViTAttention;
  intermediate: ViTIntermediate;
  output: ViTOutput;
  layernorm_before: LayerNorm;
  layernorm_after: LayerNorm;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.attention = new ViTAttention(config, init);
    this.intermediate = new ViTIntermediate(config, init);
    this.output = new ViTOutput(config, init);
    this.layernorm_before = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.layernorm_after = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
  }

  forward(hidden: tf.Tensor, outputAttentions: boolean): { output: tf.Tensor; probs?: tf.Tensor } {
    return tf.tidy(() => {
      const { output: attended, probs } = this.attention.forward(this.layernorm_before.forward(hidden), outputAttentions);
      const h = tf.add(attended, hidden);
      const output = this.output.forward(this.intermediate.forward(this.layernorm_after.forward(h)), h);
      return probs ? { output, probs } : { output };
    });
  }
}

export class ViTEncoder extends Module {
  layer: ModuleList<ViTLayer>;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.layer = new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new ViTLayer(config, init)));
  }

  forward(hidden: tf.Tensor, options: { outputHiddenStates: boolean; outputAttentions: boolean }): ViTModelOutput {
    return tf.tidy(() => {
      const hiddenStates: tf.Tensor[] = [hidden];
      const attentions: tf.Tensor[] = [];
      let h = hidden;
      for (const layer of this.layer) {
        const { output, probs } = layer.forward(h, options.outputAttentions);
        if (probs) attentions.push(probs);
        hiddenStates.push(output);
        h = output;
      }
      const out: ViTModelOutput = { lastHiddenState: h };
      if (options.outputHiddenStates) out.hiddenStates = hiddenStates;
      if (options.outputAttentions) out.attentions = attentions;
      return out as unknown as tf.TensorContainer;
    }) as unknown as ViTModelOutput;
  }
}

/** act(dense(h[:, 0])): the [CLS] token's representation (tanh by default). */
export class ViTPooler extends Module {
  dense: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(config: ViTConfig, init: ViTInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.poolerOutputSize ?? config.hiddenSize, { initStd: init.std, rng: init.rng });
    this.act = getActivation(config.poolerAct);
  }

  /** `[B, T, C]` → `[B, poolerOutputSize]` */
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.act(this.dense.forward(clsToken(hidden))));
  }
}

/** `[B, T, C]` → `[B, C]`, the first ([CLS]) token. */
export function clsToken(hidden: tf.Tensor): tf.Tensor {
  const [b, , c] = hidden.shape as [number, number, number];
  return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, c]), [b, c]);
}

export interface ViTModelOptions {
  /** Seed of the weight initialisation and dropout masks (default 0). */
  seed?: number;
  /** The generator to initialise from (instead of `seed`). */
  rng?: Random;
  /** The `config.json` this model was loaded from: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
}

/** What every ViT model shares: the config, Hugging Face naming, save and load. */
export abstract class ViTPreTrainedModel extends Module implements PretrainedModel {
  readonly modelType = 'vit';
  readonly config: ViTConfig;
  /** The loaded `config.json` (or `{}`), the base that `savePretrained` writes over. */
  readonly hfConfig: HfConfig;
  /** Weights the checkpoint lacked or had at another shape (initialised anew), or held in excess (ignored). */
  loadReport: LoadReport = { missing: [], unexpected: [], mismatched: [] };
  /** The Hugging Face class name. */
  abstract readonly architecture: string;
  /** The submodule whose names carry no prefix in a ViTModel checkpoint (`vit` in task models). */
  abstract readonly basePrefix: string;

  constructor(config: ViTConfigInput, options: ViTModelOptions = {}) {
    super();
    this.config = vitConfig(config);
    this.hfConfig = options.hfConfig ?? {};
  }

  /** Loads a checkpoint (directory, URL or hub id) into this class, whatever `config.architectures` says. */
  static async fromPretrained<T extends ViTPreTrainedModel>(this: ViTModelClass<T>, source: string, options: ViTFromPretrainedOptions = {}): Promise<T> {
    return vitFromPretrained(this, source, options);
  }

  /** Writes `config.json` and `model.safetensors` as Hugging Face's `save_pretrained` does. */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    await saveViTCheckpoint(this, dir, options);
  }
}

/**
 * Checks pixel values against the model and returns them as float32 NCHW (created inside the
 * caller's tidy): 4-D, `numChannels` channels, and `imageSize` square unless interpolating.
 */
export function pixelTensor(x: PixelInput, config: ViTConfig, options: Pick<ViTModelInputs, 'dataFormat' | 'interpolatePosEncoding'> = {}): tf.Tensor4D {
  const last = options.dataFormat === 'channelsLast';
  const layout = last ? '[batch, height, width, channels] (dataFormat channelsLast)' : '[batch, channels, height, width] (NCHW, as Hugging Face)';
  if (x instanceof tf.Tensor && !x.isDisposed && x.rank !== 4) throw new InputError(`ViT: pixelValues must be ${layout}, got [${x.shape}]`, { argument: 'pixelValues' });
  // Type, raggedness and an empty batch (which would reach a division by zero in the kernels).
  const t = floatInput(x, { name: 'pixelValues', ranks: [4] }, 'ViT');
  const [c, h, w] = (last ? [t.shape[3], t.shape[1], t.shape[2]] : t.shape.slice(1)) as [number, number, number];
  if (c !== config.numChannels) {
    const hint = !last && t.shape[3] === config.numChannels ? '; for [batch, height, width, channels] images pass dataFormat: "channelsLast"' : '';
    throw new InputError(`ViT: pixelValues [${t.shape}] have ${c} channels, the model takes ${config.numChannels} (num_channels)${hint}`, { argument: 'pixelValues' });
  }
  const s = config.imageSize;
  const p = config.patchSize;
  if (!options.interpolatePosEncoding && (h !== s || w !== s)) {
    throw new InputError(`ViT: image ${h}×${w} does not match the model's image_size ${s}×${s}; resize it (ViTImageProcessor) or pass interpolatePosEncoding: true`, { argument: 'pixelValues' });
  }
  if (h % p !== 0 || w % p !== 0) throw new InputError(`ViT: image ${h}×${w} is not a multiple of the patch size ${p} (patch_size); resize or crop it`, { argument: 'pixelValues' });
  const nchw = last ? tf.transpose(t, [0, 3, 1, 2]) : t;
  return (nchw.dtype === 'float32' ? nchw : tf.cast(nchw, 'float32')) as tf.Tensor4D;
}

/** The ViT encoder: patch embeddings with [CLS] and positions, pre-LN layers, final LayerNorm, optional pooler. */
export class ViTModel extends ViTPreTrainedModel {
  static readonly architecture = 'ViTModel';
  readonly architecture = ViTModel.architecture;
  readonly basePrefix = '';
  embeddings: ImageEmbeddings;
  encoder: ViTEncoder;
  layernorm: LayerNorm;
  pooler: ViTPooler | null;

  /** `addPoolingLayer` (default true) as Hugging Face's `add_pooling_layer`. */
  constructor(config: ViTConfigInput = {}, options: ViTModelOptions & { addPoolingLayer?: boolean } = {}) {
    super(config, options);
    const c = this.config;
    const init: ViTInit = { std: c.initializerRange, rng: options.rng ?? new Random(options.seed ?? 0) };
    this.embeddings = new ImageEmbeddings({
      imageSize: c.imageSize, patchSize: c.patchSize, numChannels: c.numChannels, hiddenSize: c.hiddenSize,
      dropout: c.hiddenDropoutProb, initStd: init.std, rng: init.rng,
    });
    this.embeddings.dropout.rng = init.rng.fork();
    this.encoder = new ViTEncoder(c, init);
    this.layernorm = new LayerNorm(c.hiddenSize, { eps: c.layerNormEps });
    this.pooler = (options.addPoolingLayer ?? true) ? new ViTPooler(c, init) : null;
  }

  forward(inputs: ViTModelInputs): ViTModelOutput {
    return tf.tidy(() => {
      checkInputsObject(inputs, 'pixelValues', 'ViTModel.forward');
      const pixels = pixelTensor(inputs.pixelValues, this.config, inputs);
      const embedded = this.embeddings.forward(pixels, { interpolatePosEncoding: inputs.interpolatePosEncoding ?? false });
      const out = this.encoder.forward(embedded, {
        outputHiddenStates: inputs.outputHiddenStates ?? false,
        outputAttentions: inputs.outputAttentions ?? false,
      });
      out.lastHiddenState = this.layernorm.forward(out.lastHiddenState);
      if (this.pooler) out.poolerOutput = this.pooler.forward(out.lastHiddenState);
      return out as unknown as tf.TensorContainer;
    }) as unknown as ViTModelOutput;
  }
}
