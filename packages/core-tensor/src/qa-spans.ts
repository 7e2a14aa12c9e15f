/**
 * Answer spans of extractive question answering, the one copy shared by the `question-answering`
 * pipelines, QA evaluation (`postprocessQaPredictions` in @tfkit/finetune) and `bestSpan`: every
 * token pair `start ≤ end` at most `maxAnswerLength` tokens long whose two ends are allowed
 * (context tokens), scored from the per-token start and end scores.
 */
import { ConfigError, ShapeError } from './errors.js';

/** Inclusive token indices and the span's score. */
export interface SpanCandidate {
  start: number;
  end: number;
  score: number;
}

export interface SpanCandidateOptions {
  /** Longest span in tokens (`end − start + 1`). */
  maxAnswerLength: number;
  /** Positions a span may start and end on (default: all). */
  allowed?: (index: number) => boolean;
  /**
   * `sum` of start and end logits (Hugging Face's `postprocess_qa_predictions`) or `product` of
   * start and end probabilities (Hugging Face's question-answering pipeline). Default `sum`.
   */
  combine?: 'sum' | 'product';
  /**
   * Only spans starting on one of the `nBest` highest start scores and ending on one of the `nBest`
   * highest end scores (Hugging Face's `n_best_size`); default: every position.
   */
  nBest?: number;
}

/**
 * The candidate spans, in enumeration order: starts then ends by position, or — with `nBest` —
 * by descending score (ties: the later position first, as reversing NumPy's ascending argsort).
 * Sort them by `score` (a stable sort keeps that order among equal scores).
 */
export function spanCandidates(startScores: ArrayLike<number>, endScores: ArrayLike<number>, options: SpanCandidateOptions): SpanCandidate[] {
  const { maxAnswerLength, nBest } = options;
  if (!(Number.isInteger(maxAnswerLength) && maxAnswerLength > 0)) throw new ConfigError(`spanCandidates: maxAnswerLength must be a positive integer, got ${maxAnswerLength}`);
  if (nBest !== undefined && !(Number.isInteger(nBest) && nBest > 0)) throw new ConfigError(`spanCandidates: nBest must be a positive integer, got ${nBest}`);
  if (startScores.length !== endScores.length) throw new ShapeError(`spanCandidates: ${startScores.length} start scores but ${endScores.length} end scores; give one of each per token`);
  const allowed = options.allowed ?? (() => true);
  const product = options.combine === 'product';
  const starts = positions(startScores, nBest);
  const ends = positions(endScores, nBest);
  const out: SpanCandidate[] = [];
  for (const s of starts) {
    if (!allowed(s)) continue;
    for (const e of ends) {
      if (e < s || e - s + 1 > maxAnswerLength || !allowed(e)) continue;
      const a = startScores[s] as number;
      const b = endScores[e] as number;
      out.push({ start: s, end: e, score: product ? a * b : a + b });
    }
  }
  return out;
}

function positions(scores: ArrayLike<number>, nBest: number | undefined): number[] {
  const all = Array.from({ length: scores.length }, (_, i) => i);
  if (nBest === undefined) return all;
  return all.sort((i, j) => (scores[j] as number) - (scores[i] as number) || j - i).slice(0, nBest);
}
