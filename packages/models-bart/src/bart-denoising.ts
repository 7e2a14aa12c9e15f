/**
 * BART's pretraining data (Lewis et al., 2019, §2.2, Figure 2): the five ways a document is
 * corrupted for the model to restore — token masking, token deletion, text infilling (Poisson span
 * lengths, one mask per span, zero-length spans insert a mask), sentence permutation, document
 * rotation — and a collator that turns documents into noisy encoder inputs with the clean text as
 * labels. Pure functions on token-id arrays; every random choice comes from a seeded `Random`.
 */
import { ConfigError, Random } from '@tfkit/core-tensor';

/** The largest λ `samplePoisson` accepts (its inversion loop starts from e^−λ, which must not underflow). */
const MAX_LAMBDA = 500;

/** A draw from Poisson(λ), by inversion of its distribution function (fine for the small λ spans use). */
export function samplePoisson(lambda: number, rng: Random): number {
  if (!(lambda > 0 && lambda <= MAX_LAMBDA)) throw new ConfigError(`samplePoisson: lambda must be in (0, ${MAX_LAMBDA}], got ${lambda}`);
  const u = rng.random();
  let k = 0;
  let p = Math.exp(-lambda);
  let cumulative = p;
  while (u > cumulative && p > 0) {
    k++;
    p *= lambda / k;
    cumulative += p;
  }
  return k;
}

function checkProbability(where: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`${where}: probability must be in [0, 1], got ${p}`);
}

/** `count` distinct positions of `[0, n)`, uniformly at random (a partial Fisher–Yates shuffle). */
function choosePositions(n: number, count: number, rng: Random): Set<number> {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return new Set(order.slice(0, count));
}

/**
 * Token masking (as BERT): `round(probability · n)` tokens, chosen uniformly, become `maskTokenId`.
 * `ids` is a document without its bos/eos.
 */
export function tokenMasking(ids: readonly number[], options: { maskTokenId: number; probability?: number; rng: Random }): number[] {
  const p = options.probability ?? 0.15;
  checkProbability('tokenMasking', p);
  const chosen = choosePositions(ids.length, Math.round(p * ids.length), options.rng);
  return ids.map((id, i) => (chosen.has(i) ? options.maskTokenId : id));
}

/** Token deletion: `round(probability · n)` tokens, chosen uniformly, are removed; the model must find where. */
export function tokenDeletion(ids: readonly number[], options: { probability?: number; rng: Random }): number[] {
  const p = options.probability ?? 0.15;
  checkProbability('tokenDeletion', p);
  const chosen = choosePositions(ids.length, Math.round(p * ids.length), options.rng);
  return ids.filter((_, i) => !chosen.has(i));
}

/**
 * Span lengths for text infilling: Poisson(λ) draws until they cover `total` tokens, the last one
 * shortened to fit. Zero-length spans are kept (each inserts a mask).
 */
export function sampleSpanLengths(total: number, lambda: number, rng: Random): number[] {
  const lengths: number[] = [];
  let covered = 0;
  while (covered < total) {
    const length = samplePoisson(lambda, rng);
    lengths.push(length);
    covered += length;
  }
  if (covered > total) lengths[lengths.length - 1] = (lengths[lengths.length - 1] as number) - (covered - total);
  return lengths;
}

/**
 * Text infilling: spans covering `round(probability · n)` tokens, with Poisson(λ) lengths (paper:
 * 30%, λ = 3), are each replaced by a single `maskTokenId`; a zero-length span inserts a mask. Spans
 * sit at uniformly random places among the kept tokens and never overlap, so the model must also
 * tell how many tokens each mask hides.
 */
export function textInfilling(
  ids: readonly number[],
  options: { maskTokenId: number; probability?: number; poissonLambda?: number; rng: Random },
): number[] {
  const p = options.probability ?? 0.3;
  checkProbability('textInfilling', p);
  const total = Math.round(p * ids.length);
  const lengths = sampleSpanLengths(total, options.poissonLambda ?? 3, options.rng);
  // A random interleaving of the spans (≥ 0) with the kept tokens (−1), then one walk over the document.
  const items = options.rng.shuffle([...lengths.map((_, s) => s), ...new Array<number>(ids.length - total).fill(-1)]);
  const out: number[] = [];
  let next = 0;
  for (const item of items) {
    if (item < 0) {
      out.push(ids[next++] as number);
    } else {
      out.push(options.maskTokenId);
      next += lengths[item] as number;
    }
  }
  return out;
}

/** Sentences of a document: each ends after one of `fullStopIds`; tokens after the last full stop form a final sentence. */
export function splitSentences(ids: readonly number[], fullStopIds: Iterable<number>): number[][] {
  const stops = new Set(fullStopIds);
  const sentences: number[][] = [];
  let current: number[] = [];
  for (const id of ids) {
    current.push(id);
    if (stops.has(id)) {
      sentences.push(current);
      current = [];
    }
  }
  if (current.length) sentences.push(current);
  return sentences;
}

/** Sentence permutation: the document's sentences (split after full stops) in a uniformly random order. */
export function sentencePermutation(ids: readonly number[], options: { fullStopIds: Iterable<number>; rng: Random }): number[] {
  return options.rng.shuffle(splitSentences(ids, options.fullStopIds)).flat();
}

/** Document rotation: a token chosen uniformly becomes the start; the model must find the real one. */
export function documentRotation(ids: readonly number[], options: { rng: Random }): number[] {
  if (ids.length === 0) return [];
  const start = options.rng.int(ids.length);
  return [...ids.slice(start), ...ids.slice(0, start)];
}

/** Which transforms to apply; they run in this order (as fairseq's denoising dataset composes them). */
export interface BartNoiseConfig {
  sentencePermutation?: { fullStopIds: number[] };
  tokenMasking?: { probability?: number };
  tokenDeletion?: { probability?: number };
  textInfilling?: { probability?: number; poissonLambda?: number };
  documentRotation?: boolean;
}

export interface BartDenoisingOptions {
  maskTokenId: number;
  /** Default 1, as BART. */
  padTokenId?: number;
  /** Starts encoder inputs and labels (default 0); null for none. */
  bosTokenId?: number | null;
  /** Ends encoder inputs and labels (default 2). */
  eosTokenId?: number;
  /** Starts the decoder inputs (default 2: BART's eos). */
  decoderStartTokenId?: number;
  /** Default: text infilling of 30% of the tokens with λ = 3 (the paper's base setting). */
  noise?: BartNoiseConfig;
  /** Documents are cut so that bos + document + eos fit in this many tokens (e.g. max_position_embeddings). */
  maxLength?: number;
  /** Seed of the noise (default 0), or the generator itself. */
  seed?: number;
  rng?: Random;
}

/** A padded batch for `BartForConditionalGeneration.forward`. */
export interface BartDenoisingBatch {
  /** Noisy documents, bos … eos, right-padded with the pad id. */
  inputIds: number[][];
  attentionMask: number[][];
  /** The clean documents, bos … eos, padded with −100 (ignored by the loss). */
  labels: number[][];
  /** `labels` shifted right behind `decoderStartTokenId`, padding as the pad id. */
  decoderInputIds: number[][];
}

/**
 * Builds BART denoising batches from tokenized documents (ids without special tokens): each is
 * corrupted by the configured transforms to make the encoder input, and restored in the labels.
 */
export class DataCollatorForBartDenoising {
  readonly maskTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number;
  readonly decoderStartTokenId: number;
  readonly noiseConfig: BartNoiseConfig;
  readonly maxLength: number | undefined;
  /** The generator every noise draw comes from (its state can be saved with `getState`). */
  readonly rng: Random;

  constructor(options: BartDenoisingOptions) {
    this.maskTokenId = options.maskTokenId;
    this.padTokenId = options.padTokenId ?? 1;
    this.bosTokenId = options.bosTokenId === undefined ? 0 : options.bosTokenId;
    this.eosTokenId = options.eosTokenId ?? 2;
    this.decoderStartTokenId = options.decoderStartTokenId ?? 2;
    this.noiseConfig = options.noise ?? { textInfilling: { probability: 0.3, poissonLambda: 3 } };
    this.maxLength = options.maxLength;
    this.rng = options.rng ?? new Random(options.seed ?? 0);
    const ids = { maskTokenId: this.maskTokenId, padTokenId: this.padTokenId, eosTokenId: this.eosTokenId, decoderStartTokenId: this.decoderStartTokenId };
    for (const [name, id] of Object.entries({ ...ids, ...(this.bosTokenId !== null ? { bosTokenId: this.bosTokenId } : {}) })) {
      if (!(Number.isInteger(id) && id >= 0)) throw new ConfigError(`DataCollatorForBartDenoising: ${name} must be a token id (a non-negative integer), got ${JSON.stringify(id)}`);
    }
    const n = this.noiseConfig;
    for (const [name, p] of [['tokenMasking', n.tokenMasking?.probability], ['tokenDeletion', n.tokenDeletion?.probability], ['textInfilling', n.textInfilling?.probability]] as const) {
      if (p !== undefined && !(p >= 0 && p <= 1)) throw new ConfigError(`DataCollatorForBartDenoising: noise.${name}.probability must be in [0, 1], got ${p}`);
    }
    const lambda = n.textInfilling?.poissonLambda;
    if (lambda !== undefined && !(lambda > 0 && lambda <= MAX_LAMBDA)) throw new ConfigError(`DataCollatorForBartDenoising: noise.textInfilling.poissonLambda must be in (0, ${MAX_LAMBDA}], got ${lambda}`);
    if (this.maxLength !== undefined && !(Number.isInteger(this.maxLength) && this.maxLength >= this.specialCount + 1)) {
      throw new ConfigError(`DataCollatorForBartDenoising: maxLength must be an integer ≥ ${this.specialCount + 1} (room for the special tokens and one more), got ${this.maxLength}`);
    }
  }

  private get specialCount(): number {
    return this.bosTokenId === null ? 1 : 2;
  }

  /** The configured transforms applied to one document (ids without special tokens). */
  noise(ids: readonly number[]): number[] {
    const { rng, noiseConfig: n, maskTokenId } = this;
    let out = [...ids];
    if (n.sentencePermutation) out = sentencePermutation(out, { fullStopIds: n.sentencePermutation.fullStopIds, rng });
    if (n.tokenMasking) out = tokenMasking(out, { maskTokenId, rng, ...n.tokenMasking });
    if (n.tokenDeletion) out = tokenDeletion(out, { rng, ...n.tokenDeletion });
    if (n.textInfilling) out = textInfilling(out, { maskTokenId, rng, ...n.textInfilling });
    if (n.documentRotation) out = documentRotation(out, { rng });
    return out;
  }

  /** Noisy inputs, clean labels and teacher-forcing decoder inputs for a batch of documents, right-padded to the longest. */
  collate(documents: readonly (readonly number[])[]): BartDenoisingBatch {
    const wrap = (ids: readonly number[]) => [...(this.bosTokenId === null ? [] : [this.bosTokenId]), ...ids, this.eosTokenId];
    const cut = (ids: readonly number[]) => (this.maxLength === undefined ? [...ids] : ids.slice(0, this.maxLength - this.specialCount));
    const clean = documents.map(cut);
    // Inserted masks can make a noisy document longer than the clean one: cut it again.
    const inputs = clean.map((d) => wrap(cut(this.noise(d))));
    const targets = clean.map(wrap);
    const pad = (rows: number[][], value: number) => {
      const length = Math.max(0, ...rows.map((r) => r.length));
      return rows.map((r) => [...r, ...new Array<number>(length - r.length).fill(value)]);
    };
    const labels = pad(targets, -100);
    return {
      inputIds: pad(inputs, this.padTokenId),
      attentionMask: pad(inputs.map((r) => r.map(() => 1)), 0),
      labels,
      decoderInputIds: labels.map((row) => [this.decoderStartTokenId, ...row.slice(0, -1)].map((id) => (id === -100 ? this.padTokenId : id))),
    };
  }
}
