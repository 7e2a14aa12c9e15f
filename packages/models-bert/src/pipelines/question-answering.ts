/**
 * `question-answering` (extractive): the most likely answer span of a context. Long contexts are
 * split into overlapping windows (`docStride` tokens shared); each span is scored
 * p(start)·p(end) within its window, limited to `maxAnswerLen` tokens, and mapped back to
 * characters through the tokenizer's offsets.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, spanCandidates } from '@tfkit/core-tensor';
import { batchInputs, maxInputLength, outputTensor, softmax, Pipeline } from './common.js';

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

export interface QuestionAnsweringAnswer {
  score: number;
  /** `[start, end)` in the context (UTF-16 indices); `answer === context.slice(start, end)`. */
  start: number;
  end: number;
  answer: string;
}

export interface QuestionAnsweringOptions {
  /** Answers to return (default 1: one object instead of a list). */
  topK?: number;
  /** Longest answer in tokens (default 15). */
  maxAnswerLen?: number;
  /** Window length in tokens, question included (default 384, capped by the model). */
  maxSeqLen?: number;
  /** Context tokens shared by consecutive windows (default 128, capped to fit a window). */
  docStride?: number;
  /** Return an empty answer when "no answer" (the `[CLS]` span) scores higher than every span. */
  handleImpossibleAnswer?: boolean;
}

/** Logits of positions outside the context are pushed down by this much before the softmax, as Hugging Face does. */
const MASKED = -10000;

export class QuestionAnsweringPipeline extends Pipeline {
  readonly task = 'question-answering';

  async call(input: QuestionAnsweringInput, options?: QuestionAnsweringOptions & { topK?: 1 }): Promise<QuestionAnsweringAnswer>;
  async call(input: QuestionAnsweringInput, options: QuestionAnsweringOptions): Promise<QuestionAnsweringAnswer | QuestionAnsweringAnswer[]>;
  async call(input: QuestionAnsweringInput, options: QuestionAnsweringOptions = {}): Promise<QuestionAnsweringAnswer | QuestionAnsweringAnswer[]> {
    const { question, context } = input;
    if (!question.trim() || !context.trim()) throw new ConfigError('question-answering: question and context must not be empty');
    const topK = options.topK ?? 1;
    const maxAnswerLen = options.maxAnswerLen ?? 15;
    const maxSeqLen = maxInputLength(this, options.maxSeqLen ?? 384);
    const questionLen = this.tokenizer.encode(question, { addSpecialTokens: false }).length;
    const contextBudget = maxSeqLen - questionLen - 3;
    if (contextBudget < 1) throw new ConfigError(`question-answering: the question takes ${questionLen} tokens, leaving no room for context in ${maxSeqLen}`);
    const stride = Math.max(0, Math.min(options.docStride ?? 128, Math.floor(maxSeqLen / 2), contextBudget - 1));
    const first = this.tokenizer.encode(question, { textPair: context, truncation: 'only_second', maxLength: maxSeqLen, stride, padding: 'longest' });
    const windows = [first, ...(first.overflowing ?? [])];

    const [startT, endT] = tf.tidy(() => {
      const out = this.model.forward(batchInputs(windows));
      return [outputTensor(out, 'startLogits', this.task), outputTensor(out, 'endLogits', this.task)];
    });
    const [starts, ends] = [(await startT.array()) as number[][], (await endT.array()) as number[][]];
    tf.dispose([startT, endT]);

    const answers: QuestionAnsweringAnswer[] = [];
    let nullScore = -Infinity;
    windows.forEach((w, i) => {
      const inContext = w.sequenceIds.map((s) => s === 1);
      const keep = (j: number) => inContext[j] || (options.handleImpossibleAnswer && j === 0);
      const pStart = softmax((starts[i] as number[]).map((z, j) => (keep(j) ? z : MASKED)));
      const pEnd = softmax((ends[i] as number[]).map((z, j) => (keep(j) ? z : MASKED)));
      nullScore = Math.max(nullScore, (pStart[0] as number) * (pEnd[0] as number));
      for (const span of spanCandidates(pStart, pEnd, { maxAnswerLength: maxAnswerLen, allowed: (j) => inContext[j] === true, combine: 'product' })) {
        const start = (w.offsets[span.start] as [number, number])[0];
        const end = (w.offsets[span.end] as [number, number])[1];
        answers.push({ score: span.score, start, end, answer: context.slice(start, end) });
      }
    });
    // The same span found in two overlapping windows counts once, with its best score.
    const best = new Map<string, QuestionAnsweringAnswer>();
    for (const a of answers.sort((x, y) => y.score - x.score)) if (!best.has(`${a.start}:${a.end}`)) best.set(`${a.start}:${a.end}`, a);
    const ranked = [...best.values()];
    if (options.handleImpossibleAnswer) ranked.push({ score: nullScore, start: 0, end: 0, answer: '' });
    ranked.sort((x, y) => y.score - x.score);
    const top = ranked.slice(0, topK);
    return topK === 1 ? (top[0] as QuestionAnsweringAnswer) : top;
  }
}
