/**
 * Beam search bookkeeping with Hugging Face's `BeamSearchScorer` semantics (transformers 4.40):
 * finished hypotheses are scored sum_logprobs / generated_len^lengthPenalty, a prompt's search is
 * done per `earlyStopping`, and finalisation returns the best hypotheses sorted by score.
 */
import { GenerationError } from './errors.js';

export interface Hypothesis {
  /** Length-normalised score. */
  score: number;
  tokens: number[];
}

/** The best `numBeams` finished hypotheses of one prompt. */
export class BeamHypotheses {
  readonly beams: Hypothesis[] = [];
  worstScore = 1e9;

  constructor(
    readonly numBeams: number,
    readonly lengthPenalty: number,
    readonly earlyStopping: boolean | 'never',
    readonly maxLength: number,
  ) {}

  get length(): number {
    return this.beams.length;
  }

  /** `generatedLength` counts tokens after the prefix, including the eos that ended the hypothesis. */
  add(tokens: number[], sumLogprobs: number, generatedLength: number): void {
    const score = sumLogprobs / generatedLength ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.numBeams) {
        // Drop the worst (ties: the earliest added, as Python's sort on (score, index) does).
        const ranked = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice((ranked[0] as readonly [number, number])[1], 1);
        this.worstScore = (ranked[1] as readonly [number, number])[0];
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  /** Whether no running beam can beat the finished ones any more. */
  isDone(bestSumLogprobs: number, curLen: number, prefixLength: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    // false: a heuristic bound from the current length; 'never': the exact bound, which for a
    // positive length penalty is reached at maxLength.
    const len = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength - prefixLength : curLen - prefixLength;
    return this.worstScore >= bestSumLogprobs / len ** this.lengthPenalty;
  }
}

export interface BeamStep {
  /** Per running beam (batch × numBeams): the next cumulative score, token and source row. */
  scores: number[];
  tokens: number[];
  rows: number[];
}

export class BeamSearchScorer {
  readonly hyps: BeamHypotheses[];
  readonly done: boolean[];

  constructor(
    readonly batchSize: number,
    readonly numBeams: number,
    readonly options: { lengthPenalty: number; earlyStopping: boolean | 'never'; maxLength: number; numBeamHypsToKeep: number; prefixLength: number },
  ) {
    this.hyps = Array.from({ length: batchSize }, () => new BeamHypotheses(numBeams, options.lengthPenalty, options.earlyStopping, options.maxLength));
    this.done = new Array<boolean>(batchSize).fill(false);
  }

  get isDone(): boolean {
    return this.done.every(Boolean);
  }

  /**
   * One step. `candidates[b]` are prompt b's top 2·numBeams (score, token, beam) in descending
   * score; eos candidates ranked within the top numBeams finish a hypothesis, the others continue.
   */
  process(
    sequences: readonly (readonly number[])[],
    candidates: { score: number; token: number; beam: number }[][],
    eosTokenIds: readonly number[],
    padTokenId: number | undefined,
  ): BeamStep {
    const k = this.numBeams;
    const curLen = (sequences[0] as readonly number[]).length + 1;
    const step: BeamStep = { scores: [], tokens: [], rows: [] };
    for (let b = 0; b < this.batchSize; b++) {
      const hyps = this.hyps[b] as BeamHypotheses;
      if (this.done[b]) {
        if (padTokenId === undefined) throw new GenerationError('beam search: a finished prompt is padded with padTokenId, which is not set (nor any eosTokenId)');
        for (let i = 0; i < k; i++) {
          step.scores.push(0);
          step.tokens.push(padTokenId);
          step.rows.push(b * k);
        }
        continue;
      }
      let kept = 0;
      const cands = candidates[b] as { score: number; token: number; beam: number }[];
      for (let rank = 0; rank < cands.length && kept < k; rank++) {
        const { score, token, beam } = cands[rank] as { score: number; token: number; beam: number };
        const row = b * k + beam;
        if (eosTokenIds.includes(token)) {
          if (rank >= k) continue;
          hyps.add([...(sequences[row] as readonly number[])], score, curLen - this.options.prefixLength);
        } else {
          step.scores.push(score);
          step.tokens.push(token);
          step.rows.push(row);
          kept++;
        }
      }
      if (kept < k) throw new GenerationError(`beam search: fewer than ${k} non-eos candidates for prompt ${b}; pass more candidates`);
      const best = Math.max(...cands.map((c) => c.score));
      this.done[b] = hyps.isDone(best, curLen, this.options.prefixLength);
    }
    return step;
  }

  /**
   * Adds the running beams of unfinished prompts as hypotheses and returns, per prompt, the best
   * `numBeamHypsToKeep` in descending score, padded to one length (an eos is appended to shorter
   * ones where it fits within maxLength).
   */
  finalize(
    sequences: readonly (readonly number[])[],
    beamScores: readonly number[],
    eosTokenIds: readonly number[],
    padTokenId: number | undefined,
  ): { sequences: number[][]; scores: number[] } {
    const k = this.numBeams;
    for (let b = 0; b < this.batchSize; b++) {
      if (this.done[b]) continue;
      for (let i = 0; i < k; i++) {
        const row = sequences[b * k + i] as readonly number[];
        (this.hyps[b] as BeamHypotheses).add([...row], beamScores[b * k + i] as number, row.length - this.options.prefixLength);
      }
    }
    const best: Hypothesis[] = [];
    for (const hyps of this.hyps) {
      // Stable ascending sort, then take from the end: ties go to the hypothesis added last, as in Python.
      const sorted = [...hyps.beams].sort((a, b) => a.score - b.score);
      for (let j = 0; j < this.options.numBeamHypsToKeep; j++) best.push(sorted.pop() as Hypothesis);
    }
    const lengths = best.map((h) => h.tokens.length);
    const maxLen = Math.min(Math.max(...lengths) + 1, this.options.maxLength);
    const padded = best.map((h) => {
      const out = [...h.tokens];
      if (out.length < maxLen) {
        out.push(eosTokenIds[0] ?? (padTokenId as number));
        while (out.length < maxLen) out.push(padTokenId as number);
      }
      return out;
    });
    if (Math.min(...lengths) !== Math.max(...lengths) && padTokenId === undefined) {
      throw new GenerationError('beam search: hypotheses of different lengths need padTokenId (or an eosTokenId) to be padded');
    }
    return { sequences: padded, scores: best.map((h) => h.score) };
  }
}
