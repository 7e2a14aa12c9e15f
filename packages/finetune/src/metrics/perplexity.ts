/** Perplexity: exp of the mean token-level cross-entropy (natural log). */
import type { EvalPrediction } from '../train/evaluate.js';

export function perplexity(meanCrossEntropy: number): number {
  return Math.exp(meanCrossEntropy);
}

/** A `metrics` function for language modelling: perplexity from the evaluation loss. */
export function perplexityMetrics(): (p: EvalPrediction) => Record<string, number> {
  return ({ loss }): Record<string, number> => (loss === undefined ? {} : { perplexity: perplexity(loss) });
}
