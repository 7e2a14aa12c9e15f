/**
 * Data for BERT's two pretraining objectives (Devlin et al., 2019, §3.1 and appendix A.1): masked
 * language modelling (15% of tokens chosen; of those 80% → [MASK], 10% → a random token, 10% kept)
 * and next sentence prediction (B follows A half of the time, else B is from another document).
 * Pure JavaScript on token ids, seeded: the same seed gives the same batches.
 */
import { ConfigError, Random } from '@tfkit/core-tensor';

export interface MlmOptions {
  /** Id of `[MASK]`. */
  maskTokenId: number;
  /** Vocabulary size; random replacements are drawn from `[0, vocabSize)` minus the special ids. */
  vocabSize: number;
  /** Ids never chosen for masking nor drawn as replacements (`[CLS]`, `[SEP]`, `[PAD]`, …). */
  specialTokenIds: Iterable<number>;
  /** Padding id for `collate` (default 0); also never masked. */
  padTokenId?: number;
  /** Chance that a token is chosen for prediction (default 0.15). */
  mlmProbability?: number;
  /** Of the chosen tokens, the share replaced by `[MASK]` (default 0.8) … */
  maskReplaceProbability?: number;
  /** … and the share replaced by a random token (default 0.1); the rest stay unchanged. */
  randomReplaceProbability?: number;
  /** Seed of the masking stream (default 0), or the generator itself. */
  seed?: number;
  rng?: Random;
}

/** One example for a collator: token ids, optionally with segments and an NSP label. */
export interface PretrainingExample {
  inputIds: readonly number[];
  tokenTypeIds?: readonly number[];
  nextSentenceLabel?: number;
}

/** A padded batch ready for `BertForPreTraining.forward` / `BertForMaskedLM.forward`. */
export interface PretrainingBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  /** The original ids at chosen positions, −100 elsewhere. */
  labels: number[][];
  /** Present when every example has one. */
  nextSentenceLabel?: number[];
}

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`DataCollatorForLanguageModeling: ${name} must be in [0, 1], got ${p}`);
}

/**
 * Masks tokens for MLM, as Hugging Face's `DataCollatorForLanguageModeling` does: each
 * non-special, non-padding token is chosen independently with `mlmProbability`.
 */
export class DataCollatorForLanguageModeling {
  readonly maskTokenId: number;
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly mlmProbability: number;
  readonly maskReplaceProbability: number;
  readonly randomReplaceProbability: number;
  /** The generator masks are drawn from (its state can be saved with `getState`). */
  readonly rng: Random;
  private readonly special: Set<number>;
  /** Ids a random replacement is drawn from. */
  private readonly replacements: Int32Array;

  constructor(options: MlmOptions) {
    this.maskTokenId = options.maskTokenId;
    this.vocabSize = options.vocabSize;
    this.padTokenId = options.padTokenId ?? 0;
    this.mlmProbability = options.mlmProbability ?? 0.15;
    this.maskReplaceProbability = options.maskReplaceProbability ?? 0.8;
    this.randomReplaceProbability = options.randomReplaceProbability ?? 0.1;
    checkProbability('mlmProbability', this.mlmProbability);
    checkProbability('maskReplaceProbability', this.maskReplaceProbability);
    checkProbability('randomReplaceProbability', this.randomReplaceProbability);
    if (this.maskReplaceProbability + this.randomReplaceProbability > 1) {
      throw new ConfigError('DataCollatorForLanguageModeling: maskReplaceProbability + randomReplaceProbability must not exceed 1');
    }
    this.rng = options.rng ?? new Random(options.seed ?? 0);
    this.special = new Set([...options.specialTokenIds, this.padTokenId, this.maskTokenId]);
    const pool: number[] = [];
    for (let id = 0; id < this.vocabSize; id++) if (!this.special.has(id)) pool.push(id);
    if (pool.length === 0) throw new ConfigError('DataCollatorForLanguageModeling: the vocabulary has no non-special token to draw replacements from');
    this.replacements = Int32Array.from(pool);
  }

  /**
   * Masks one batch of (already padded or ragged) id rows. `attentionMask` marks padding that must
   * not be chosen when the padding id is also a real token. Returns new arrays; inputs are not changed.
   */
  maskTokens(inputIds: readonly (readonly number[])[], attentionMask?: readonly (readonly number[])[]): { inputIds: number[][]; labels: number[][] } {
    const masked: number[][] = [];
    const labels: number[][] = [];
    for (const [r, row] of inputIds.entries()) {
      const outRow = [...row];
      const labelRow = new Array<number>(row.length).fill(-100);
      for (let i = 0; i < row.length; i++) {
        const id = row[i] as number;
        if (this.special.has(id) || attentionMask?.[r]?.[i] === 0) continue;
        if (this.rng.random() >= this.mlmProbability) continue;
        labelRow[i] = id;
        const u = this.rng.random();
        if (u < this.maskReplaceProbability) outRow[i] = this.maskTokenId;
        else if (u < this.maskReplaceProbability + this.randomReplaceProbability) outRow[i] = this.replacements[this.rng.int(this.replacements.length)] as number;
      }
      masked.push(outRow);
      labels.push(labelRow);
    }
    return { inputIds: masked, labels };
  }

  /** Pads examples to the longest (right padding), builds masks and segments, and masks tokens. */
  collate(examples: readonly (PretrainingExample | readonly number[])[]): PretrainingBatch {
    const items = examples.map((e): PretrainingExample => (Array.isArray(e) ? { inputIds: e as readonly number[] } : (e as PretrainingExample)));
    const length = Math.max(0, ...items.map((e) => e.inputIds.length));
    const pad = (row: readonly number[], value: number) => [...row, ...new Array<number>(length - row.length).fill(value)];
    const ids = items.map((e) => pad(e.inputIds, this.padTokenId));
    const attentionMask = items.map((e) => pad(e.inputIds.map(() => 1), 0));
    const tokenTypeIds = items.map((e) => pad(e.tokenTypeIds ?? e.inputIds.map(() => 0), 0));
    const { inputIds, labels } = this.maskTokens(ids, attentionMask);
    const batch: PretrainingBatch = { inputIds, attentionMask, tokenTypeIds, labels };
    if (items.length && items.every((e) => e.nextSentenceLabel !== undefined)) batch.nextSentenceLabel = items.map((e) => e.nextSentenceLabel as number);
    return batch;
  }
}

export interface NspOptions {
  /** Total length including `[CLS]` and two `[SEP]`s; longer pairs are truncated. */
  maxLength: number;
  clsTokenId: number;
  sepTokenId: number;
  /** Chance that B is the true next sentence (default 0.5). */
  nextSentenceProbability?: number;
  /** Turns sentence strings into ids (needed when documents hold strings). */
  tokenize?: (text: string) => number[];
  seed?: number;
  rng?: Random;
}

/** `[CLS] A [SEP] B [SEP]` with segment ids; label 0 when B follows A, 1 when B is random (Hugging Face's convention). */
export interface NspExample {
  inputIds: number[];
  tokenTypeIds: number[];
  nextSentenceLabel: 0 | 1;
}

/** Removes tokens from the end of the longer segment until both fit in `budget` tokens. */
function truncatePair(a: number[], b: number[], budget: number): void {
  while (a.length + b.length > budget) (a.length > b.length ? a : b).pop();
}

/**
 * Sentence pairs for next sentence prediction. For each sentence that has a successor in its
 * document: with `nextSentenceProbability` B is that successor (label 0), otherwise a random
 * sentence of another document (label 1). Documents are lists of sentences, as ids or as text with
 * `tokenize`.
 */
export function buildNspPairs(documents: readonly (readonly (string | readonly number[])[])[], options: NspOptions): NspExample[] {
  const budget = options.maxLength - 3;
  if (!Number.isInteger(options.maxLength) || budget < 2) throw new ConfigError(`buildNspPairs: maxLength must be an integer ≥ 5, got ${options.maxLength}`);
  const p = options.nextSentenceProbability ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`buildNspPairs: nextSentenceProbability must be in [0, 1], got ${p}`);
  const rng = options.rng ?? new Random(options.seed ?? 0);
  const docs = documents.map((doc) =>
    doc
      .map((s) => {
        if (typeof s !== 'string') return [...s];
        if (!options.tokenize) throw new ConfigError('buildNspPairs: documents hold text; pass options.tokenize to turn sentences into ids');
        return options.tokenize(s);
      })
      .filter((s) => s.length > 0),
  );
  const others = docs.map((_, i) => i).filter((i) => (docs[i] as number[][]).length > 0);
  if (p < 1 && others.length < 2) throw new ConfigError('buildNspPairs: random next sentences need at least two non-empty documents');
  const examples: NspExample[] = [];
  for (const [d, doc] of docs.entries()) {
    for (let i = 0; i + 1 < doc.length; i++) {
      const a = [...(doc[i] as number[])];
      let b: number[];
      let label: 0 | 1;
      if (rng.random() < p) {
        b = [...(doc[i + 1] as number[])];
        label = 0;
      } else {
        let other = d;
        while (other === d) other = others[rng.int(others.length)] as number;
        const sentences = docs[other] as number[][];
        b = [...(sentences[rng.int(sentences.length)] as number[])];
        label = 1;
      }
      truncatePair(a, b, budget);
      examples.push({
        inputIds: [options.clsTokenId, ...a, options.sepTokenId, ...b, options.sepTokenId],
        tokenTypeIds: [...new Array<number>(a.length + 2).fill(0), ...new Array<number>(b.length + 1).fill(1)],
        nextSentenceLabel: label,
      });
    }
  }
  return examples;
}
