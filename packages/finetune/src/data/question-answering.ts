/**
 * Extractive question answering (SQuAD): examples with a character answer span → training features
 * with start/end token positions, one per window of a long context (Hugging Face's
 * `prepare_train_features`: truncation of the context only, `stride` tokens shared by consecutive
 * windows, an answer outside a window → the CLS position), and start/end logits → answer texts
 * (`postprocess_qa_predictions`: n-best spans over every window of an example, SQuAD v2 null answers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spanCandidates } from '@tfkit/core-tensor';
import { FinetuneError } from '../errors.js';
import { padSequences, type Batch, type Collator } from './collator.js';
import type { Example } from './dataset.js';

/** One window of an encoding; `@tfkit/tokenizers`' `Encoding` fits. */
export interface QaEncodingLike {
  ids: readonly number[];
  typeIds?: readonly number[];
  offsets: readonly (readonly [number, number])[];
  /** 0 for the first text, 1 for the pair, `null` for special tokens and padding. */
  sequenceIds: readonly (number | null)[];
  overflowing?: readonly QaEncodingLike[];
}

/** `@tfkit/tokenizers`' `Tokenizer` fits as it is. */
export interface QaTokenizerLike {
  encode(text: string, options: { textPair: string; truncation: 'only_first' | 'only_second'; maxLength: number; stride: number }): QaEncodingLike;
  /** Where "no answer in this window" points (default position 0). */
  readonly clsTokenId?: number;
}

/** SQuAD's answers field: parallel lists (the first answer is the training target). */
export interface QaAnswers {
  text: readonly string[];
  /** Character index of each answer in the context (`answer_start` as in the SQuAD files, or `answerStart`). */
  answer_start?: readonly number[];
  answerStart?: readonly number[];
}

/** One window of one example. */
export interface QaFeature {
  inputIds: number[];
  tokenTypeIds: number[];
  /** Token index of the answer's first and last token, or the CLS index when the window does not contain it. */
  startPosition: number;
  endPosition: number;
  /** The example this window comes from (Hugging Face's `overflow_to_sample_mapping`). */
  exampleIndex: number;
  /** `[start, end)` of each context token in the context; `null` for question, special and padding tokens. */
  offsets: ([number, number] | null)[];
}

export interface PrepareQaOptions {
  /** Window length in tokens, question and special tokens included (default 384). */
  maxLength?: number;
  /** Context tokens shared by consecutive windows (default 128). */
  stride?: number;
  /** Default `question`. */
  questionColumn?: string;
  /** Default `context`. */
  contextColumn?: string;
  /** Default `answers`; examples without it (or with no answer) point at CLS, as SQuAD v2's unanswerable questions. */
  answersColumn?: string;
  /** Question first, context second (default true); false for models padded on the left (XLNet). */
  questionFirst?: boolean;
}

interface ResolvedColumns {
  question: string;
  context: string;
  answers: string;
}

function columns(options: { questionColumn?: string; contextColumn?: string; answersColumn?: string }): ResolvedColumns {
  return { question: options.questionColumn ?? 'question', context: options.contextColumn ?? 'context', answers: options.answersColumn ?? 'answers' };
}

function stringField(ex: Example, key: string, i: number, where: string): string {
  const v = ex[key];
  if (typeof v !== 'string') throw new FinetuneError(`${where}: example ${i} has no string field "${key}" (fields: ${Object.keys(ex).join(', ')})`);
  return v;
}

/**
 * Tokenizes question/context examples into windows of `maxLength` tokens and marks where the first
 * answer starts and ends in each. Differs from Hugging Face's loop in one corner only: an answer
 * starting on the last context token of a window, where that loop runs on into `[SEP]` and the
 * padding; here the positions are always context tokens.
 */
export function prepareQaTrainFeatures(tokenizer: QaTokenizerLike, examples: readonly Example[], options: PrepareQaOptions = {}): QaFeature[] {
  const maxLength = options.maxLength ?? 384;
  const stride = options.stride ?? 128;
  if (!(Number.isInteger(maxLength) && maxLength > 0)) throw new FinetuneError(`prepareQaTrainFeatures: maxLength must be a positive integer, got ${maxLength}`);
  if (!(Number.isInteger(stride) && stride >= 0)) throw new FinetuneError(`prepareQaTrainFeatures: stride must be a non-negative integer, got ${stride}`);
  const cols = columns(options);
  const questionFirst = options.questionFirst ?? true;
  const contextSeq = questionFirst ? 1 : 0;
  const features: QaFeature[] = [];
  examples.forEach((ex, i) => {
    // Leading spaces in questions waste window room (SQuAD has some); Hugging Face strips them too.
    const question = stringField(ex, cols.question, i, 'prepareQaTrainFeatures').trimStart();
    const context = stringField(ex, cols.context, i, 'prepareQaTrainFeatures');
    const span = answerSpan(ex[cols.answers], context, i);
    let first: QaEncodingLike;
    try {
      first = questionFirst
        ? tokenizer.encode(question, { textPair: context, truncation: 'only_second', maxLength, stride })
        : tokenizer.encode(context, { textPair: question, truncation: 'only_first', maxLength, stride });
    } catch (cause) {
      throw new FinetuneError(`prepareQaTrainFeatures: example ${i}: ${(cause as Error).message} (maxLength ${maxLength}, stride ${stride}: the question and special tokens must leave more than stride tokens of context)`, { cause });
    }
    for (const w of [first, ...(first.overflowing ?? [])]) {
      const clsIndex = tokenizer.clsTokenId === undefined ? 0 : Math.max(0, w.ids.indexOf(tokenizer.clsTokenId));
      const [startPosition, endPosition] = span ? tokenPositions(w, contextSeq, span) ?? [clsIndex, clsIndex] : [clsIndex, clsIndex];
      features.push({
        inputIds: [...w.ids],
        tokenTypeIds: w.typeIds ? [...w.typeIds] : w.ids.map(() => 0),
        startPosition,
        endPosition,
        exampleIndex: i,
        offsets: w.offsets.map(([s, e], t) => (w.sequenceIds[t] === contextSeq ? [s, e] : null)),
      });
    }
  });
  return features;
}

/** The first answer as `[startChar, endChar)` in the context, or `null` when there is none. */
function answerSpan(value: unknown, context: string, i: number): [number, number] | null {
  if (value === undefined || value === null) return null;
  const answers = value as QaAnswers;
  const starts = answers.answer_start ?? answers.answerStart;
  if (!Array.isArray(answers.text) || !Array.isArray(starts)) {
    throw new FinetuneError(`prepareQaTrainFeatures: example ${i}: answers must be { text: string[], answer_start: number[] } as in SQuAD, got ${JSON.stringify(value)}`);
  }
  if (answers.text.length === 0) return null;
  const text = answers.text[0] as string;
  const start = starts[0] as number;
  if (typeof text !== 'string' || !Number.isInteger(start) || start < 0) throw new FinetuneError(`prepareQaTrainFeatures: example ${i}: the first answer must be a string with an integer answer_start ≥ 0, got ${JSON.stringify(text)} at ${JSON.stringify(start)}`);
  if (context.startsWith(text, start)) return [start, start + text.length];
  // Python counts code points, JavaScript UTF-16 units: files written by Python differ after an emoji.
  const converted = [...context].slice(0, start).join('').length;
  if (context.startsWith(text, converted)) return [converted, converted + text.length];
  throw new FinetuneError(
    `prepareQaTrainFeatures: example ${i}: the answer ${JSON.stringify(text)} is not at answer_start ${start} of the context (found ${JSON.stringify(context.slice(start, start + text.length))}); ` +
      'answer_start must index the context in characters from 0',
  );
}

/** The context tokens holding `[startChar, endChar)`, or `null` when the window does not contain the whole answer. */
function tokenPositions(w: QaEncodingLike, contextSeq: number, [startChar, endChar]: [number, number]): [number, number] | null {
  let first = -1;
  let last = -1;
  w.sequenceIds.forEach((s, t) => {
    if (s !== contextSeq) return;
    if (first < 0) first = t;
    last = t;
  });
  if (first < 0) return null;
  const offset = (t: number) => w.offsets[t] as readonly [number, number];
  if (!(offset(first)[0] <= startChar && offset(last)[1] >= endChar)) return null;
  let start = first;
  while (start < last && offset(start + 1)[0] <= startChar) start++;
  let end = last;
  while (end > first && offset(end - 1)[1] >= endChar) end--;
  return [start, end];
}

export interface QaCollatorOptions {
  /** Id used for padding (BERT: 0). */
  padTokenId: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
}

/**
 * Batches of `QaFeature`s → `inputIds`, `attentionMask`, `tokenTypeIds` `[batch, length]` (padded on
 * the right to the batch's longest) and `startPositions`, `endPositions` `[batch]`, the inputs of
 * a `…ForQuestionAnswering` model.
 */
export class DataCollatorForQuestionAnswering {
  private readonly o: QaCollatorOptions;

  constructor(options: QaCollatorOptions) {
    this.o = options;
  }

  readonly collate: Collator<QaFeature> = (features) => {
    features.forEach((f, i) => {
      if (!Array.isArray(f.inputIds)) throw new FinetuneError(`DataCollatorForQuestionAnswering: feature ${i} has no inputIds; build features with prepareQaTrainFeatures`);
    });
    let len = Math.max(1, ...features.map((f) => f.inputIds.length));
    const m = this.o.padToMultipleOf;
    if (m) len = Math.ceil(len / m) * m;
    const batch: Batch = {
      inputIds: padSequences(features.map((f) => f.inputIds), this.o.padTokenId, len),
      attentionMask: padSequences(features.map((f) => f.inputIds.map(() => 1)), 0, len),
      tokenTypeIds: padSequences(features.map((f) => f.tokenTypeIds), 0, len),
      startPositions: tf.tensor1d(features.map((f) => f.startPosition), 'int32'),
      endPositions: tf.tensor1d(features.map((f) => f.endPosition), 'int32'),
    };
    return batch;
  };
}

/** One answer of the n-best list. */
export interface QaPrediction {
  text: string;
  /** `[start, end)` of `text` in the context (`0, 0` for the null answer). */
  start: number;
  end: number;
  /** `startLogit + endLogit`. */
  score: number;
  startLogit: number;
  endLogit: number;
  /** Softmax of `score` over the n-best list. */
  probability: number;
}

export interface QaExamplePrediction {
  /** The answer: the best span's text, or `''` when the null answer wins (SQuAD v2). */
  prediction: string;
  /** Up to `nBestSize` answers, best first (the null answer included with `allowNoAnswer`). */
  nBest: QaPrediction[];
  /** With `allowNoAnswer`: null score − best span's score (the answer is `''` when above the threshold). */
  nullScoreDiff?: number;
}

export interface PostprocessQaOptions {
  /** Start and end positions considered per window, and answers kept (default 20). */
  nBestSize?: number;
  /** Longest answer in tokens (default 30). */
  maxAnswerLength?: number;
  /** SQuAD v2: the null answer (CLS) competes with the spans (default false). */
  allowNoAnswer?: boolean;
  /** With `allowNoAnswer`: predict `''` when null score − best span score exceeds this (default 0). */
  nullScoreDiffThreshold?: number;
  /** Default `context`. */
  contextColumn?: string;
}

/**
 * Answer texts from the start/end logits of every feature (one row per feature, as many columns as
 * the padded batch had), following Hugging Face's `postprocess_qa_predictions`: per window, the
 * `nBestSize` highest start and end positions pair into context spans of at most
 * `maxAnswerLength` tokens scored `startLogit + endLogit`; the example's n-best over all its
 * windows are softmaxed; the null score is the smallest CLS score over the windows. Where Hugging
 * Face answers the text "empty" when no span qualifies, this answers `''`.
 */
export function postprocessQaPredictions(
  examples: readonly Example[],
  features: readonly Pick<QaFeature, 'exampleIndex' | 'offsets'>[],
  startLogits: readonly ArrayLike<number>[],
  endLogits: readonly ArrayLike<number>[],
  options: PostprocessQaOptions = {},
): QaExamplePrediction[] {
  const nBestSize = options.nBestSize ?? 20;
  const maxAnswerLength = options.maxAnswerLength ?? 30;
  if (startLogits.length !== features.length || endLogits.length !== features.length) {
    throw new FinetuneError(`postprocessQaPredictions: ${features.length} features but ${startLogits.length} start and ${endLogits.length} end logit rows; give one row per feature, in order`);
  }
  const byExample = examples.map((): number[] => []);
  features.forEach((f, k) => {
    const list = byExample[f.exampleIndex];
    if (!list) throw new FinetuneError(`postprocessQaPredictions: feature ${k} belongs to example ${f.exampleIndex}, but ${examples.length} examples were given`);
    list.push(k);
  });
  const contextCol = options.contextColumn ?? 'context';
  return examples.map((ex, i) => {
    const context = stringField(ex, contextCol, i, 'postprocessQaPredictions');
    type Scored = Omit<QaPrediction, 'text' | 'probability'>;
    const spans: Scored[] = [];
    let nullPrediction: Scored | null = null;
    for (const k of byExample[i] as number[]) {
      const { offsets } = features[k] as Pick<QaFeature, 'offsets'>;
      const s = startLogits[k] as ArrayLike<number>;
      const e = endLogits[k] as ArrayLike<number>;
      const nullScore = (s[0] as number) + (e[0] as number);
      if (!nullPrediction || nullScore < nullPrediction.score) nullPrediction = { start: 0, end: 0, score: nullScore, startLogit: s[0] as number, endLogit: e[0] as number };
      const allowed = (t: number) => t < offsets.length && offsets[t] != null;
      for (const span of spanCandidates(s, e, { maxAnswerLength, nBest: nBestSize, allowed })) {
        const [start] = offsets[span.start] as [number, number];
        const [, end] = offsets[span.end] as [number, number];
        spans.push({ start, end, score: span.score, startLogit: s[span.start] as number, endLogit: e[span.end] as number });
      }
    }
    const isNull = (p: Scored) => p.start === 0 && p.end === 0;
    if (options.allowNoAnswer && nullPrediction) spans.push(nullPrediction);
    let ranked = spans.sort((a, b) => b.score - a.score).slice(0, nBestSize);
    if (options.allowNoAnswer && nullPrediction && !ranked.some(isNull)) ranked.push(nullPrediction);
    if (ranked.length === 0) ranked = [{ start: 0, end: 0, score: 0, startLogit: 0, endLogit: 0 }];
    const top = Math.max(...ranked.map((p) => p.score));
    const exp = ranked.map((p) => Math.exp(p.score - top));
    const total = exp.reduce((a, b) => a + b, 0);
    const nBest = ranked.map((p, r) => ({ text: context.slice(p.start, p.end), ...p, probability: (exp[r] as number) / total }));
    if (!options.allowNoAnswer) return { prediction: (nBest[0] as QaPrediction).text, nBest };
    const bestSpan = nBest.find((p) => p.text !== '');
    if (!bestSpan || !nullPrediction) return { prediction: '', nBest };
    const nullScoreDiff = nullPrediction.score - bestSpan.startLogit - bestSpan.endLogit;
    return { prediction: nullScoreDiff > (options.nullScoreDiffThreshold ?? 0) ? '' : bestSpan.text, nBest, nullScoreDiff };
  });
}
