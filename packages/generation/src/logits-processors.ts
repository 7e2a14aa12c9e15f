/**
 * Logits processors (penalties and constraints, applied in every decoding mode) and warpers
 * (reshape the distribution for sampling), following Hugging Face's `logits_process.py` one for one.
 * Scores are one Float32Array per row, changed in place; rows are short-lived host arrays, so
 * processors hold no tensors and cannot leak.
 */

/** One step's scores, `rows × vocab`, with the ids of each row so far (prefix included). */
export interface LogitsProcessor {
  readonly name: string;
  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void;
}

/** Hugging Face's `filter_value`: removed tokens get −∞, so softmax gives them probability 0. */
const NEG_INF = Number.NEGATIVE_INFINITY;

/** CTRL's repetition penalty: a token already in the row has its score divided by `penalty` if positive, multiplied if negative. */
export class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
  readonly name = 'repetition-penalty';
  constructor(readonly penalty: number) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    scores.forEach((row, r) => {
      for (const id of new Set(inputIds[r])) {
        const s = row[id];
        if (s === undefined) continue;
        row[id] = s < 0 ? s * this.penalty : s / this.penalty;
      }
    });
  }
}

/** Bans every token that would complete an n-gram already present in the row. */
export class NoRepeatNGramLogitsProcessor implements LogitsProcessor {
  readonly name = 'no-repeat-ngram';
  constructor(readonly ngramSize: number) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    const n = this.ngramSize;
    scores.forEach((row, r) => {
      const ids = inputIds[r] as readonly number[];
      const len = ids.length;
      if (len + 1 < n) return;
      // The last n−1 tokens; any earlier n-gram starting with them has its last token banned.
      const tail = ids.slice(len - n + 1).join(',');
      for (let start = 0; start + n <= len; start++) {
        if (ids.slice(start, start + n - 1).join(',') === tail) row[ids[start + n - 1] as number] = NEG_INF;
      }
    });
  }
}

/** The eos tokens cannot be chosen while the whole row is shorter than `minLength`. */
export class MinLengthLogitsProcessor implements LogitsProcessor {
  readonly name = 'min-length';
  constructor(readonly minLength: number, readonly eosTokenIds: readonly number[]) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    scores.forEach((row, r) => {
      if ((inputIds[r] as readonly number[]).length < this.minLength) for (const id of this.eosTokenIds) row[id] = NEG_INF;
    });
  }
}

/** The eos tokens cannot be chosen before `minNewTokens` tokens follow the prefix. */
export class MinNewTokensLogitsProcessor implements LogitsProcessor {
  readonly name = 'min-new-tokens';
  constructor(readonly prefixLength: number, readonly minNewTokens: number, readonly eosTokenIds: readonly number[]) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    scores.forEach((row, r) => {
      if ((inputIds[r] as readonly number[]).length - this.prefixLength < this.minNewTokens) for (const id of this.eosTokenIds) row[id] = NEG_INF;
    });
  }
}

/** Forces `bosTokenId` as the first token after a one-token prefix (an encoder-decoder's decoder start), as Hugging Face does. */
export class ForcedBOSTokenLogitsProcessor implements LogitsProcessor {
  readonly name = 'forced-bos';
  constructor(readonly bosTokenId: number) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    scores.forEach((row, r) => {
      if ((inputIds[r] as readonly number[]).length === 1) forceTokens(row, [this.bosTokenId]);
    });
  }
}

/** Forces the eos token(s) as the last token of a row that reaches `maxLength`. */
export class ForcedEOSTokenLogitsProcessor implements LogitsProcessor {
  readonly name = 'forced-eos';
  constructor(readonly maxLength: number, readonly eosTokenIds: readonly number[]) {}

  process(inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    scores.forEach((row, r) => {
      if ((inputIds[r] as readonly number[]).length === this.maxLength - 1) forceTokens(row, this.eosTokenIds);
    });
  }
}

/** Every score −∞ except `ids`, which get 0 (log-probability 1 among them). */
function forceTokens(row: Float32Array, ids: readonly number[]): void {
  row.fill(NEG_INF);
  for (const id of ids) row[id] = 0;
}

/** Divides scores by the temperature. */
export class TemperatureLogitsWarper implements LogitsProcessor {
  readonly name = 'temperature';
  constructor(readonly temperature: number) {}

  process(_inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    for (const row of scores) for (let i = 0; i < row.length; i++) row[i] = (row[i] as number) / this.temperature;
  }
}

/** Keeps the `topK` highest scores (ties with the k-th included) and removes the rest. */
export class TopKLogitsWarper implements LogitsProcessor {
  readonly name = 'top-k';
  constructor(readonly topK: number, readonly minTokensToKeep = 1) {}

  process(_inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    for (const row of scores) {
      const k = Math.min(Math.max(this.topK, this.minTokensToKeep), row.length);
      const threshold = kthLargest(row, k);
      for (let i = 0; i < row.length; i++) if ((row[i] as number) < threshold) row[i] = NEG_INF;
    }
  }
}

/**
 * Nucleus sampling: keeps the most likely tokens whose probabilities sum to at least `topP`
 * (removing, from the least likely up, tokens while the removed mass stays ≤ 1 − topP).
 */
export class TopPLogitsWarper implements LogitsProcessor {
  readonly name = 'top-p';
  constructor(readonly topP: number, readonly minTokensToKeep = 1) {}

  process(_inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
    for (const row of scores) {
      // −∞ entries have probability 0 and are removed already; only finite ones need sorting.
      const order: number[] = [];
      for (let i = 0; i < row.length; i++) if ((row[i] as number) > NEG_INF) order.push(i);
      order.sort((a, b) => (row[a] as number) - (row[b] as number) || a - b);
      const probs = softmax(order.map((i) => row[i] as number));
      const removable = order.length - this.minTokensToKeep;
      let cumulative = 0;
      for (let j = 0; j < removable; j++) {
        cumulative += probs[j] as number;
        if (cumulative > 1 - this.topP) break;
        row[order[j] as number] = NEG_INF;
      }
    }
  }
}

/** Applies processors in order. */
export function applyProcessors(processors: readonly LogitsProcessor[], inputIds: readonly (readonly number[])[], scores: Float32Array[]): void {
  for (const p of processors) p.process(inputIds, scores);
}

/** The k-th largest value of `row` (1-based k ≤ row.length). */
export function kthLargest(row: Float32Array, k: number): number {
  if (k >= row.length) return Math.min(...row);
  // A size-k min-heap would be O(V log k); V is at most ~10⁵ and k small, so keep a sorted buffer.
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (top.length < k) {
      insertSorted(top, v);
    } else if (v > (top[0] as number)) {
      top.shift();
      insertSorted(top, v);
    }
  }
  return top[0] as number;
}

function insertSorted(asc: number[], v: number): void {
  let lo = 0;
  let hi = asc.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((asc[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  asc.splice(lo, 0, v);
}

/** Softmax in float64 (a plain array in, probabilities out). */
export function softmax(values: ArrayLike<number>): Float64Array {
  let max = NEG_INF;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  const out = new Float64Array(values.length);
  if (max === NEG_INF) return out;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = Math.exp((values[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}
