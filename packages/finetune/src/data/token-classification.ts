/**
 * Token classification (NER, part-of-speech): word labels → one label per token, as Hugging Face's
 * `tokenize_and_align_labels` does it — the first sub-token of a word carries the word's label,
 * its other sub-tokens and the special tokens −100, which the loss ignores — and a collator that
 * tokenizes pre-split words, aligns their labels and pads a batch (−100 on padding).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FinetuneError } from '../errors.js';
import { padSequences, type Batch, type Collator } from './collator.js';
import type { Example } from './dataset.js';
import { IGNORE_INDEX, labelResolver, type LabelToId } from './labels.js';

/** What alignment reads from an encoding: the word of each token (`null`: special token or padding). */
export interface WordIdsLike {
  wordIds: readonly (number | null)[];
  /** With a pair of texts: the sequence of each token; only tokens of `sequenceId` get labels. */
  sequenceIds?: readonly (number | null)[];
}

export interface AlignLabelsOptions {
  /** Label every sub-token with its word's label, not only the first (Hugging Face's `label_all_tokens`). Default false. */
  labelAllTokens?: boolean;
  /** With `labelAllTokens`: the label of a word's later sub-tokens (B-X → I-X, as `run_ner.py`'s `b_to_i_label`). */
  continuationLabel?: (label: number) => number;
  /** The sequence whose words are labelled (default 0); tokens of the other get −100. */
  sequenceId?: number;
}

/**
 * One label per token: the word's label on its first sub-token, −100 on its other sub-tokens
 * (unless `labelAllTokens`), on special tokens and on padding. Tokens of one word must be
 * consecutive, as a tokenizer produces them.
 */
export function alignLabelsWithTokens(encoding: WordIdsLike, wordLabels: readonly number[], options: AlignLabelsOptions = {}): number[] {
  const { wordIds, sequenceIds } = encoding;
  const sequenceId = options.sequenceId ?? 0;
  const labels = new Array<number>(wordIds.length);
  let previous: number | null = null;
  for (let i = 0; i < wordIds.length; i++) {
    const word = sequenceIds && sequenceIds[i] !== sequenceId ? null : (wordIds[i] ?? null);
    if (word === null) {
      labels[i] = IGNORE_INDEX;
    } else {
      const label = wordLabels[word];
      if (label === undefined) {
        throw new FinetuneError(`alignLabelsWithTokens: token ${i} belongs to word ${word}, but ${wordLabels.length} word labels were given; give one label per word (tokenizeWords gives word ids that index the words you passed)`);
      }
      if (!Number.isInteger(label)) throw new FinetuneError(`alignLabelsWithTokens: the label of word ${word} is ${JSON.stringify(label)}, not an integer class id`);
      if (word !== previous) labels[i] = label;
      else labels[i] = options.labelAllTokens ? (options.continuationLabel?.(label) ?? label) : IGNORE_INDEX;
    }
    previous = word;
  }
  return labels;
}

/** The encoding `tokenizeWords` needs from a tokenizer; `@tfkit/tokenizers`' `Encoding` fits. */
export interface OffsetEncodingLike {
  ids: readonly number[];
  typeIds?: readonly number[];
  /** `[start, end)` of each token in the text. */
  offsets: readonly (readonly [number, number])[];
  /** `null` for special tokens. */
  sequenceIds?: readonly (number | null)[];
}

/** `@tfkit/tokenizers`' `Tokenizer` fits as it is. */
export interface WordsTokenizerLike {
  encode(text: string, options?: { truncation?: boolean; maxLength?: number }): OffsetEncodingLike;
}

/** A tokenized list of words; `wordIds` index the words given (not the tokenizer's own word split). */
export interface WordsEncoding {
  ids: number[];
  typeIds: number[];
  wordIds: (number | null)[];
  /** Token offsets into `text`. */
  offsets: [number, number][];
  /** The words joined by single spaces: what was encoded. */
  text: string;
}

export interface TokenizeWordsOptions {
  /** Truncate to this many tokens, special tokens included. */
  maxLength?: number;
}

/**
 * Encodes pre-split words (a CoNLL sentence), as Hugging Face's `is_split_into_words=True`: the
 * words are joined by spaces and each token is assigned the word its characters come from, so
 * `U.S.` stays one word even though BERT's pre-tokenizer splits it into four.
 */
export function tokenizeWords(tokenizer: WordsTokenizerLike, words: readonly string[], options: TokenizeWordsOptions = {}): WordsEncoding {
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  words.forEach((w, i) => {
    if (typeof w !== 'string') throw new FinetuneError(`tokenizeWords: word ${i} is ${JSON.stringify(w)}, not a string`);
    starts.push(at);
    ends.push(at + w.length);
    at += w.length + 1;
  });
  const text = words.join(' ');
  const enc = tokenizer.encode(text, options.maxLength === undefined ? {} : { truncation: true, maxLength: options.maxLength });
  const wordIds = enc.offsets.map(([s, e], i): number | null => {
    if (e <= s || (enc.sequenceIds && enc.sequenceIds[i] == null)) return null;
    // The first word the token overlaps (byte-level tokens may start on the space before it).
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ends[mid] as number) <= s) lo = mid + 1;
      else hi = mid;
    }
    return lo < words.length && (starts[lo] as number) < e ? lo : null;
  });
  return { ids: [...enc.ids], typeIds: enc.typeIds ? [...enc.typeIds] : enc.ids.map(() => 0), wordIds, offsets: enc.offsets.map(([s, e]) => [s, e]), text };
}

/** A tokenized, label-aligned example (unpadded). */
export interface TokenClassificationFeature {
  inputIds: number[];
  tokenTypeIds: number[];
  labels: number[];
  wordIds: (number | null)[];
}

/** `tokenizeWords` then `alignLabelsWithTokens`: one training feature from words and their labels. */
export function tokenizeAndAlignLabels(tokenizer: WordsTokenizerLike, words: readonly string[], wordLabels: readonly number[], options: TokenizeWordsOptions & AlignLabelsOptions = {}): TokenClassificationFeature {
  if (wordLabels.length !== words.length) throw new FinetuneError(`tokenizeAndAlignLabels: ${words.length} words but ${wordLabels.length} labels; give one label per word`);
  const enc = tokenizeWords(tokenizer, words, options);
  return { inputIds: enc.ids, tokenTypeIds: enc.typeIds, labels: alignLabelsWithTokens(enc, wordLabels, options), wordIds: enc.wordIds };
}

export interface TokenClassificationCollatorOptions<T> extends AlignLabelsOptions {
  tokenizer: WordsTokenizerLike;
  /** Id used for padding (BERT: 0). */
  padTokenId: number;
  /** Field holding the words (default `tokens`, as CoNLL-2003 and WikiANN on the Hugging Face hub). */
  wordsColumn?: string;
  /** Field holding one label per word (default `ner_tags`); absent in every example: no `labels` tensor. */
  labelsColumn?: string;
  /** Label names or a mapping (see `LabelToId`); integer labels need none. */
  labelToId?: LabelToId<T>;
  /** Truncate to this many tokens, special tokens included. */
  maxLength?: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
  /** Include `tokenTypeIds` (default true). */
  returnTokenTypeIds?: boolean;
}

/**
 * Batches of `{ tokens: string[], ner_tags: (number | string)[] }` examples → `inputIds`,
 * `attentionMask`, `tokenTypeIds` and `labels` `[batch, length]` int32, padded on the right to the
 * batch's longest (labels −100 on padding), as Hugging Face's `DataCollatorForTokenClassification`.
 */
export class DataCollatorForTokenClassification<T extends Example = Example> {
  private readonly o: TokenClassificationCollatorOptions<T>;
  private readonly toId: (label: unknown, example: T) => number;

  constructor(options: TokenClassificationCollatorOptions<T>) {
    this.o = options;
    this.toId = labelResolver(options.labelToId, 'DataCollatorForTokenClassification');
  }

  /** Use as a `Collator`: `collator: c.collate`. */
  readonly collate: Collator<T> = (examples) => {
    const wordsCol = this.o.wordsColumn ?? 'tokens';
    const labelsCol = this.o.labelsColumn ?? 'ner_tags';
    const withLabels = examples.length > 0 && examples.every((ex) => ex[labelsCol] !== undefined);
    const features = examples.map((ex, i) => {
      const words = ex[wordsCol];
      if (!Array.isArray(words)) throw new FinetuneError(`DataCollatorForTokenClassification: example ${i} has no list of words in "${wordsCol}" (fields: ${Object.keys(ex).join(', ')})`);
      const enc = tokenizeWords(this.o.tokenizer, words as string[], this.o.maxLength === undefined ? {} : { maxLength: this.o.maxLength });
      if (!withLabels) return { enc, labels: null };
      const raw = ex[labelsCol];
      if (!Array.isArray(raw) || raw.length !== words.length) {
        throw new FinetuneError(`DataCollatorForTokenClassification: example ${i} has ${words.length} words but ${Array.isArray(raw) ? raw.length : 'no list of'} labels in "${labelsCol}"; give one label per word`);
      }
      return { enc, labels: alignLabelsWithTokens(enc, raw.map((l) => this.toId(l, ex)), this.o) };
    });
    let len = Math.max(1, ...features.map((f) => f.enc.ids.length));
    const m = this.o.padToMultipleOf;
    if (m) len = Math.ceil(len / m) * m;
    const batch: Batch = {
      inputIds: padSequences(features.map((f) => f.enc.ids), this.o.padTokenId, len),
      attentionMask: padSequences(features.map((f) => f.enc.ids.map(() => 1)), 0, len),
    };
    if (this.o.returnTokenTypeIds ?? true) batch['tokenTypeIds'] = padSequences(features.map((f) => f.enc.typeIds), 0, len);
    if (withLabels) batch['labels'] = padSequences(features.map((f) => f.labels as number[]), IGNORE_INDEX, len) as tf.Tensor;
    return batch;
  };
}
