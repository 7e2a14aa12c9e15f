/**
 * Extractive question-answering metrics, as the official SQuAD v1.1 script computes them: answers
 * are normalised (lower case, punctuation and the articles a/an/the removed, whitespace collapsed);
 * exact match is string equality, F1 the token-overlap F1; both take the best over gold answers.
 */
import { spanCandidates } from '@tfkit/core-tensor';

export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

export function tokenF1(prediction: string, gold: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const g = normalizeAnswer(gold).split(' ').filter(Boolean);
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Mean exact match and F1 (each in [0, 1]) over questions; each has one or more gold answers. */
export function squadMetrics(predictions: readonly string[], golds: readonly (readonly string[])[]): { exactMatch: number; f1: number } {
  if (predictions.length === 0) return { exactMatch: 0, f1: 0 };
  let em = 0;
  let f1 = 0;
  predictions.forEach((p, i) => {
    const answers = golds[i] ?? [];
    em += Math.max(0, ...answers.map((g) => exactMatch(p, g)));
    f1 += Math.max(0, ...answers.map((g) => tokenF1(p, g)));
  });
  return { exactMatch: em / predictions.length, f1: f1 / predictions.length };
}

/**
 * The best span `[start, end]` (inclusive token indices) from start/end logits, with
 * `start ≤ end < start + maxAnswerLength`, restricted to `allowed` positions (context tokens);
 * `[0, 0]` when no span is allowed. The first of equal scores wins.
 */
export function bestSpan(startLogits: readonly number[], endLogits: readonly number[], options: { maxAnswerLength?: number; allowed?: (i: number) => boolean } = {}): [number, number] {
  let best: [number, number] = [0, 0];
  let bestScore = -Infinity;
  for (const span of spanCandidates(startLogits, endLogits, { maxAnswerLength: options.maxAnswerLength ?? 30, ...(options.allowed ? { allowed: options.allowed } : {}) })) {
    if (span.score > bestScore) {
      bestScore = span.score;
      best = [span.start, span.end];
    }
  }
  return best;
}
