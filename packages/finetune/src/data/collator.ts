/**
 * Collators turn a list of examples into a batch of tensors. `DataCollatorWithPadding` tokenizes
 * text and pads each batch only to its own longest sequence (dynamic padding), as Hugging Face's
 * collator of the same name does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FinetuneError } from '../errors.js';
import type { Example } from './dataset.js';

/** A batch: model inputs and labels by name (`inputIds`, `attentionMask`, `labels`, …). */
export type Batch = Record<string, tf.Tensor>;

/** Builds a batch; the tensors belong to the caller (the Trainer disposes them). */
export type Collator<T = Example> = (examples: T[]) => Batch;

/** What a collator needs from a tokenizer: ids (and segment ids) for a text or a pair. */
export interface EncodingLike {
  ids: readonly number[];
  typeIds?: readonly number[];
  tokenTypeIds?: readonly number[];
}
/** What the collator calls; `@tfkit/tokenizers`' `Tokenizer` fits as it is. */
export interface TokenizerLike {
  encode(text: string, options?: { textPair?: string }): EncodingLike;
}

export interface PaddingCollatorOptions<T> {
  tokenizer: TokenizerLike;
  /** Id used for padding (BERT: 0). */
  padTokenId: number;
  /** Field holding the text (default `text`). */
  textColumn?: string;
  /** Field holding the second text of a pair, if any. */
  textPairColumn?: string;
  /** Field holding the label (default `label`); absent fields give no `labels` tensor. */
  labelColumn?: string;
  /** Maps a label value to its class id (default: numbers as they are, strings through `labels`). */
  labelToId?: (label: unknown, example: T) => number;
  /** Truncate sequences to this many tokens (keeping the first ones). */
  maxLength?: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
  /** Include `tokenTypeIds` (default true). */
  returnTokenTypeIds?: boolean;
}

/** Pads int sequences to a common length → `[batch, length]` int32 (right padding). */
export function padSequences(seqs: readonly (readonly number[])[], padValue: number, length?: number): tf.Tensor2D {
  const len = length ?? Math.max(1, ...seqs.map((s) => s.length));
  const data = new Int32Array(seqs.length * len).fill(padValue);
  seqs.forEach((s, i) => data.set(s.slice(0, len), i * len));
  return tf.tensor2d(data, [seqs.length, len], 'int32');
}

export class DataCollatorWithPadding<T extends Example = Example> {
  private readonly o: PaddingCollatorOptions<T>;

  constructor(options: PaddingCollatorOptions<T>) {
    this.o = options;
  }

  /** Use as a `Collator`: `collator: c.collate`. */
  readonly collate: Collator<T> = (examples) => {
    const { tokenizer, maxLength } = this.o;
    const textCol = this.o.textColumn ?? 'text';
    const labelCol = this.o.labelColumn ?? 'label';
    const ids: number[][] = [];
    const types: number[][] = [];
    examples.forEach((ex, i) => {
      const text = ex[textCol];
      if (typeof text !== 'string') throw new FinetuneError(`collator: example ${i} has no string field "${textCol}" (fields: ${Object.keys(ex).join(', ')})`);
      const pair = this.o.textPairColumn ? ex[this.o.textPairColumn] : undefined;
      const enc = tokenizer.encode(text, typeof pair === 'string' ? { textPair: pair } : {});
      const t = enc.typeIds ?? enc.tokenTypeIds ?? enc.ids.map(() => 0);
      ids.push(maxLength ? enc.ids.slice(0, maxLength) : [...enc.ids]);
      types.push(maxLength ? t.slice(0, maxLength) : [...t]);
    });
    let len = Math.max(1, ...ids.map((s) => s.length));
    const m = this.o.padToMultipleOf;
    if (m) len = Math.ceil(len / m) * m;
    const batch: Batch = {
      inputIds: padSequences(ids, this.o.padTokenId, len),
      attentionMask: padSequences(ids.map((s) => s.map(() => 1)), 0, len),
    };
    if (this.o.returnTokenTypeIds ?? true) batch['tokenTypeIds'] = padSequences(types, 0, len);
    if (examples.every((ex) => ex[labelCol] !== undefined)) {
      const toId = this.o.labelToId ?? defaultLabelToId;
      batch['labels'] = tf.tensor1d(examples.map((ex) => toId(ex[labelCol], ex)), 'int32');
    }
    return batch;
  };
}

function defaultLabelToId(label: unknown): number {
  if (typeof label === 'number' && Number.isInteger(label)) return label;
  if (typeof label === 'string' && /^-?\d+$/.test(label.trim())) return Number(label);
  throw new FinetuneError(`collator: label ${JSON.stringify(label)} is not an integer class id; pass labelToId to map it`);
}
