// Attention Is All You Need (Vaswani et al., 2017) with its output projection (§3.4): the model to train, generate with, save and load.
// Follows Hugging Face transformers' MarianMTModel (models/marian/modeling_marian.py): its checkpoints load in transformers as they are.
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, Random, ShapeError,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type PretrainedModel, type SavePretrainedOptions, type TensorMap,
} from '@tfkit/core-tensor';
import {
  fromHfGenerationConfig, generate, generateStream, toHfGenerationConfig,
  type DecodingSession, type GenerateOptions, type GenerateOutput, type GenerationConfig, type GenerationModel,
  type PromptIds, type StartDecodingInputs, type StartDecodingOptions, type TokenEvent,
} from '@tfkit/generation';
import {
  adaptBasePrefix, buildFromCheckpointWith, crossEntropyLoss, Dropout, fromPretrainedWith, initializeMissingWeights, LMHead, loadWeightsWithReport, Module, Parameter,
  PlaceholderInit, saveModelCheckpoint, sinusoidalPositionEncoding, tokenIds, type IntInput, type LoadReport,
} from '@tfkit/layers';
import { shiftTokensRight } from './seq2seq-modeling.js';
import {
  TRANSFORMER_MODEL_TYPE, transformerConfig, TransformerConfigError, transformerConfigFromHf, transformerConfigSizes, transformerConfigToHf,
  type TransformerConfig, type TransformerConfigInput,
} from './transformer-config.js';
import { TransformerDecodingSession } from './transformer-decoding.js';
import { tokenTable, TransformerModel, type TransformerModelInputs, type TransformerModelOutput } from './transformer-modeling.js';

export interface TransformerInputs extends Omit<TransformerModelInputs, 'decoderInputIds'> {
  /** `[B, T]` decoder inputs; default: `labels` shifted right behind `decoderStartTokenId` (teacher forcing). */
  decoderInputIds?: IntInput;
  /** `[B, T]` target ids; −100 positions are left out of the loss. */
  labels?: IntInput;
}

/** Hugging Face's Seq2SeqLMOutput in camelCase. */
export interface TransformerOutput extends Omit<TransformerModelOutput, 'lastHiddenState'> {
  /** Mean token cross-entropy over the labelled positions, when `labels` are given. */
  loss?: tf.Scalar;
  /** `[B, T, decoderVocab]` = lm_head(decoder output) + final_logits_bias */
  logits: tf.Tensor3D;
}

export interface TransformerOptions {
  /** Seed of the weight initialisation and dropout masks (default 0). */
  seed?: number;
  /** The generator to initialise from (instead of `seed`). */
  rng?: Random;
  /** The `config.json` this model was loaded from: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
  /** The `generation_config.json` it was loaded with, written back on save. */
  hfGenerationConfig?: HfConfig;
}

export type TransformerFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'>;

/** Hugging Face keeps the fixed sinusoids out of saved files but loads them when a file has them. */
const POSITION_TABLE = /^(?:model\.)?(encoder|decoder)\.embed_positions\.weight$/;
/** Hugging Face starts `final_logits_bias` at zero when a checkpoint lacks it. */
const isFinalLogitsBias = (name: string) => name === 'final_logits_bias';

/**
 * The Transformer encoder-decoder with its output projection (Hugging Face's MarianMTModel): the
 * loss for teacher-forced training, `generate` (greedy, sampling, beam search) with a KV cache, and
 * save / load as a Marian checkpoint. The projection is the decoder's token table with
 * `tieWordEmbeddings` (default), plus `final_logits_bias`, a buffer that is saved but not trained.
 */
export class Transformer extends Module implements PretrainedModel, GenerationModel {
  static readonly architecture = 'MarianMTModel';
  readonly architecture = Transformer.architecture;
  readonly modelType = TRANSFORMER_MODEL_TYPE;
  /** The backbone's attribute, as in Hugging Face checkpoints (`model.encoder.…`). */
  readonly basePrefix = 'model';
  /** The encoder reads right-padded batches. */
  readonly paddingSide = 'right';
  readonly config: TransformerConfig;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  /** What loading found: weights the checkpoint lacked (initialised anew) and weights it held that the model has no use for. */
  loadReport: LoadReport = { missing: [], unexpected: [] };
  model: TransformerModel;
  lm_head: LMHead;
  final_logits_bias: Parameter;

  constructor(config: TransformerConfigInput, options: TransformerOptions = {}) {
    super();
    this.config = transformerConfig(config);
    this.hfConfig = options.hfConfig ?? {};
    this.hfGenerationConfig = options.hfGenerationConfig;
    const c = this.config;
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.model = new TransformerModel(c, rng);
    const targetTable = this.model.decoder.embed_tokens.weight;
    this.lm_head = new LMHead(c.tieWordEmbeddings ? targetTable : tokenTable(c.decoderVocabSize, c, rng));
    this.final_logits_bias = Parameter.adopt(tf.zeros([1, c.decoderVocabSize]), { trainable: false });
    // The layers' dropouts start from one default seed; give each its own stream.
    for (const [, m] of this.namedModules()) if (m instanceof Dropout) m.rng = rng.fork();
  }

  /** Decoder states `[B, T, dModel]` → logits `[B, T, decoderVocab]`. */
  logitsFromHidden(hidden: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, c] = hidden.shape as [number, number, number];
      const logits = tf.add(this.lm_head.forward(tf.reshape(hidden, [b * t, c]) as tf.Tensor2D), this.final_logits_bias.value);
      return tf.reshape(logits, [b, t, -1]) as tf.Tensor3D;
    });
  }

  /**
   * Teacher-forced logits for `decoderInputIds` (or `labels` shifted right), and the loss when
   * `labels` are given. Inputs are right-padded; padding gets no attention weight, and decoder
   * position t attends to positions ≤ t only.
   */
  forward(inputs: TransformerInputs): TransformerOutput {
    return tf.tidy(() => {
      const c = this.config;
      // Checked before the decoder reads them shifted right (−100 becomes padding there).
      const labels = inputs.labels === undefined
        ? undefined
        : tokenIds(inputs.labels, c.decoderVocabSize, this.architecture, { name: 'labels', key: 'decoder_vocab_size', allow: [-100] });
      const decoderInputIds = inputs.decoderInputIds ?? (labels ? shiftTokensRight(labels, c.padTokenId, c.decoderStartTokenId) : undefined);
      if (decoderInputIds === undefined) throw new ShapeError(`${this.architecture}: pass decoderInputIds or labels (the decoder reads labels shifted right behind decoder_start_token_id)`);
      const { lastHiddenState, ...rest } = this.model.forward({ ...inputs, decoderInputIds });
      const logits = this.logitsFromHidden(lastHiddenState);
      const out: TransformerOutput = { logits, ...rest };
      if (labels) {
        if (labels.shape.join() !== logits.shape.slice(0, 2).join()) {
          throw new ShapeError(`${this.architecture}: labels are [${labels.shape}], the decoder produced [${logits.shape.slice(0, 2)}] positions`);
        }
        out.loss = crossEntropyLoss(logits, labels, { where: this.architecture, classesKey: 'decoder_vocab_size' });
      }
      return out as unknown as tf.TensorContainer;
    }) as unknown as TransformerOutput;
  }

  /**
   * Defaults for `generate`: generation_config.json when the checkpoint had one, else what Hugging
   * Face derives from config.json (its special tokens, a forced eos, and any generation keys such as
   * Marian's `bad_words_ids` or `num_beams`).
   */
  get generationConfig(): Partial<GenerationConfig> {
    return fromHfGenerationConfig(this.hfGenerationConfig ?? this.generationConfigFromModel());
  }

  private generationConfigFromModel(): HfConfig {
    const c = this.config;
    return {
      ...this.hfConfig,
      bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, pad_token_id: c.padTokenId,
      decoder_start_token_id: c.decoderStartTokenId, forced_eos_token_id: c.forcedEosTokenId,
    };
  }

  startDecoding(inputs: StartDecodingInputs, options: StartDecodingOptions): DecodingSession {
    return new TransformerDecodingSession(this, inputs, options);
  }

  /** Encodes `inputIds` and decodes from `decoderStartTokenId`: `generate(this, inputIds, options)` of @tfkit/generation. */
  generate(inputIds: PromptIds, options: GenerateOptions = {}): Promise<GenerateOutput> {
    return generate(this, inputIds, options);
  }

  /** Token events as an async iterator (see @tfkit/generation's `generateStream`). */
  generateStream(inputIds: PromptIds, options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateOutput, void> {
    return generateStream(this, inputIds, options);
  }

  /** Loads `config.json` + `model.safetensors` (a Marian checkpoint: tfkit's or Hugging Face's) from a directory, URL or hub id. */
  static async fromPretrained(source: string, options: TransformerFromPretrainedOptions = {}): Promise<Transformer> {
    return fromPretrainedWith(source, options, (checkpoint) => Transformer.fromCheckpoint(checkpoint, options));
  }

  /**
   * Builds the model a loaded checkpoint describes (config overrides applied) and loads its weights:
   * a tied table under any of its names, `final_logits_bias` optional, a MarianModel checkpoint
   * (no `model.` prefix) into the backbone with a new output projection if untied; strict by default.
   */
  static fromCheckpoint(checkpoint: Checkpoint, options: TransformerFromPretrainedOptions = {}): Transformer {
    return buildFromCheckpointWith(checkpoint, options, {
      architecture: Transformer.architecture,
      readConfig: transformerConfigFromHf,
      sizes: transformerConfigSizes,
      basePrefix: 'model',
      fail: (where) => (key, problem) => new TransformerConfigError(where, key, problem),
      create: (hfConfig, config) => new Transformer(config, {
        hfConfig, rng: new PlaceholderInit(0), ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}),
      }),
      load: (model, context) => {
        const where = `${context.source} (model.safetensors)`;
        const weights = withoutPositionTables(checkpoint.weights, model.config, where);
        model.loadReport = loadWeightsWithReport(model, adaptBasePrefix(weights, model, { basePrefix: 'model', baseNames: /^(shared|encoder|decoder)\./ }), {
          where, strict: context.strict, sameArchitecture: context.sameArchitecture,
          isBackbone: (n) => n.startsWith('model.'), optional: isFinalLogitsBias,
        });
        initializeMissingWeights(model, model.loadReport.missing, { std: model.config.initStd, zeros: isFinalLogitsBias });
      },
    });
  }

  /**
   * Writes `config.json` (model_type `marian`, every key explicit), `model.safetensors` (Linear
   * weights `[out, in]`; a tied table once, under its first name — `model.shared.weight` with a
   * shared vocabulary; no position tables, as `save_pretrained` leaves them out) and
   * `generation_config.json`.
   */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    const generationConfig = this.hfGenerationConfig ?? { _from_model_config: true, ...toHfGenerationConfig(fromHfGenerationConfig(this.generationConfigFromModel())) };
    await saveModelCheckpoint(this, dir, { config: transformerConfigToHf(this.config, this.architecture, this.hfConfig), generationConfig }, options);
  }
}

/**
 * The checkpoint's weights without Marian's fixed position tables, which tfkit computes. Hugging
 * Face would load a table a file holds, so one that is not the sinusoids tfkit computes is an
 * error rather than something silently replaced (float16 files round them to within 1e-3).
 */
function withoutPositionTables(weights: TensorMap, config: TransformerConfig, where: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, t] of weights) {
    if (!POSITION_TABLE.test(name)) {
      out.set(name, t);
      continue;
    }
    const [rows, dim] = t.shape as [number, number];
    const diff = t.rank === 2 && dim === config.dModel
      ? tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(t, 'float32'), sinusoidalPositionEncoding(rows, dim, { layout: 'halves' })))).dataSync()[0] as number)
      : Infinity;
    if (!(diff <= 1e-3)) {
      throw new CheckpointError(`${where}: ${name} [${t.shape}] is not the sinusoid table of d_model ${config.dModel} (largest difference ${diff}); tfkit's Transformer has fixed positions only`);
    }
  }
  return out;
}
