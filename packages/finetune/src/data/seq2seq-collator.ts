/**
 * `DataCollatorForSeq2Seq`: batches of (source, target) pairs for any encoder-decoder model, as
 * Hugging Face's collator of that name with a model that shifts labels: sources right-padded with
 * their attention mask, targets as `labels` padded with −100 (left out of the loss), and the
 * decoder inputs — the labels shifted one step right behind `decoderStartTokenId`, −100 turned
 * into padding (`shift_tokens_right`). The model's special tokens come from its `config`, whatever
 * the family.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FinetuneError } from '../errors.js';
import type { Batch, Collator, TokenizerLike } from './collator.js';

/** What the collator reads from a model: its padding and decoder start tokens. */
export interface Seq2SeqModelLike {
  readonly config: { readonly padTokenId: number; readonly decoderStartTokenId: number };
}

export interface Seq2SeqCollatorOptions {
  /** Reads `padTokenId` and `decoderStartTokenId` from the model's config (unless given below). */
  model?: Seq2SeqModelLike;
  /** Padding of the source ids and of the decoder inputs (default: the model's). */
  padTokenId?: number;
  /** The token decoder inputs start with (default: the model's). */
  decoderStartTokenId?: number;
  /** The labels' padding (default −100: ignored by the loss). */
  labelPadTokenId?: number;
  /** Encodes text sources (and text targets, unless `targetTokenizer` is given). */
  tokenizer?: TokenizerLike;
  /** Encodes text targets: a separate target vocabulary's tokenizer (default `tokenizer`). */
  targetTokenizer?: TokenizerLike;
  /** Field holding the source: text or token ids (default `source`). */
  sourceColumn?: string;
  /** Field holding the target: text or token ids (default `target`); absent in every example: no labels. */
  targetColumn?: string;
  /** Round the padded lengths up to a multiple of this. */
  padToMultipleOf?: number;
  /** Also return `decoderAttentionMask` (1 for the decoder inputs of each target, 0 for padding). */
  returnDecoderAttentionMask?: boolean;
}

/** HF's `shift_tokens_right` on host arrays: each row one step right behind `start`, −100 → `pad`. */
export function shiftTokensRight(labels: readonly (readonly number[])[], padTokenId: number, decoderStartTokenId: number): number[][] {
  return labels.map((row) => [decoderStartTokenId, ...row.slice(0, -1)].map((id) => (id === -100 ? padTokenId : id)).slice(0, row.length));
}

function specialToken(name: string, given: number | undefined, model: Seq2SeqModelLike | undefined, key: 'padTokenId' | 'decoderStartTokenId'): number {
  const v = given ?? model?.config?.[key];
  if (v === undefined) throw new FinetuneError(`DataCollatorForSeq2Seq: give ${name} or a model whose config has ${key}`);
  if (!(Number.isInteger(v) && v >= 0)) throw new FinetuneError(`DataCollatorForSeq2Seq: ${name} must be a non-negative integer token id, got ${JSON.stringify(v)}`);
  return v;
}

function padTo(length: number, multiple: number | undefined): number {
  return multiple ? Math.ceil(length / multiple) * multiple : length;
}

function padded(rows: readonly (readonly number[])[], value: number, length: number): tf.Tensor2D {
  const data = new Int32Array(rows.length * length).fill(value);
  rows.forEach((r, i) => data.set(r, i * length));
  return tf.tensor2d(data, [rows.length, length], 'int32');
}

export class DataCollatorForSeq2Seq<T extends Record<string, unknown> = Record<string, unknown>> {
  readonly padTokenId: number;
  readonly decoderStartTokenId: number;
  readonly labelPadTokenId: number;
  private readonly o: Seq2SeqCollatorOptions;

  constructor(options: Seq2SeqCollatorOptions) {
    this.o = options;
    this.padTokenId = specialToken('padTokenId', options.padTokenId, options.model, 'padTokenId');
    this.decoderStartTokenId = specialToken('decoderStartTokenId', options.decoderStartTokenId, options.model, 'decoderStartTokenId');
    this.labelPadTokenId = options.labelPadTokenId ?? -100;
    const m = options.padToMultipleOf;
    if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new FinetuneError(`DataCollatorForSeq2Seq: padToMultipleOf must be a positive integer, got ${JSON.stringify(m)}`);
  }

  /** One field of one example as token ids: text through the tokenizer, or ids as they are. */
  private ids(example: T, index: number, column: string, tokenizer: TokenizerLike | undefined): number[] {
    const value = example[column];
    if (typeof value === 'string') {
      if (!tokenizer) throw new FinetuneError(`DataCollatorForSeq2Seq: example ${index} has text in "${column}"; pass a tokenizer, or token ids`);
      return [...tokenizer.encode(value).ids];
    }
    if (!Array.isArray(value)) {
      throw new FinetuneError(`DataCollatorForSeq2Seq: example ${index} has no "${column}" (text or token ids); fields: ${Object.keys(example).join(', ')}`);
    }
    const bad = value.findIndex((id) => !(Number.isInteger(id) && (id as number) >= 0));
    if (bad >= 0) throw new FinetuneError(`DataCollatorForSeq2Seq: example ${index} "${column}"[${bad}] = ${JSON.stringify(value[bad])} is not a token id (a non-negative integer)`);
    return value as number[];
  }

  /** Use as a `Collator`: `collator: c.collate`. Tensors belong to the caller (the Trainer disposes them). */
  readonly collate: Collator<T> = (examples) => {
    if (!examples.length) throw new FinetuneError('DataCollatorForSeq2Seq: an empty batch');
    const sourceColumn = this.o.sourceColumn ?? 'source';
    const targetColumn = this.o.targetColumn ?? 'target';
    const sources = examples.map((ex, i) => this.ids(ex, i, sourceColumn, this.o.tokenizer));
    const empty = sources.findIndex((s) => s.length === 0);
    if (empty >= 0) throw new FinetuneError(`DataCollatorForSeq2Seq: example ${empty} has an empty source; the encoder needs at least one token`);
    const s = padTo(Math.max(...sources.map((r) => r.length)), this.o.padToMultipleOf);
    const batch: Batch = {
      inputIds: padded(sources, this.padTokenId, s),
      attentionMask: padded(sources.map((r) => r.map(() => 1)), 0, s),
    };
    const labelled = examples.filter((ex) => ex[targetColumn] !== undefined).length;
    if (labelled === 0) return batch;
    if (labelled < examples.length) {
      tf.dispose(Object.values(batch));
      throw new FinetuneError(`DataCollatorForSeq2Seq: ${examples.length - labelled} of ${examples.length} examples have no "${targetColumn}"; label all examples of a batch or none`);
    }
    let targets: number[][];
    try {
      targets = examples.map((ex, i) => this.ids(ex, i, targetColumn, this.o.targetTokenizer ?? this.o.tokenizer));
    } catch (error) {
      tf.dispose(Object.values(batch));
      throw error;
    }
    const t = padTo(Math.max(1, ...targets.map((r) => r.length)), this.o.padToMultipleOf);
    const labels = targets.map((r) => [...r, ...new Array<number>(t - r.length).fill(this.labelPadTokenId)]);
    batch['labels'] = padded(labels, this.labelPadTokenId, t);
    batch['decoderInputIds'] = padded(shiftTokensRight(labels, this.padTokenId, this.decoderStartTokenId), this.padTokenId, t);
    // Decoder input i predicts label i: the inputs of a target of n tokens are positions 0 … n − 1.
    if (this.o.returnDecoderAttentionMask) batch['decoderAttentionMask'] = padded(targets.map((r) => r.map(() => 1)), 0, t);
    return batch;
  };
}
