/**
 * `generate(model, inputIds, options)`: greedy decoding, sampling, beam search and beam sampling
 * over any `GenerationModel`, with Hugging Face's semantics and option names. Token ids live on the
 * host (they are small); only the model's forward pass and the log-softmax run as tensors, and each
 * step's logits are disposed as soon as they are read, so nothing leaks across calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Random, type Registry } from '@tfkit/core-tensor';
import { BeamSearchScorer } from './beam-search.js';
import { GenerationError } from './errors.js';
import { GENERATION_DEFAULTS, resolveGenerationConfig, type GenerationConfig, type ResolvedGenerationConfig } from './generation-config.js';
import { applyProcessors, softmax, type LogitsProcessor } from './logits-processors.js';
import { padBatch, type DecodingSession, type GenerationModel } from './model.js';
import { buildLogitsPipeline } from './processor-registry.js';
import { StopStringChecker } from './stop-strings.js';
import type { Streamer } from './text-streamer.js';

/** One generated token per row, as it is produced. */
export interface TokenEvent {
  /** 0 for the first new token. */
  step: number;
  /** The token each row got (finished rows get `padTokenId`). */
  tokens: number[];
  /** Rows that are finished after this token. */
  finished: boolean[];
}

export type StopReason = 'eos' | 'max-length' | 'stop-string' | 'aborted';

export interface GenerateOutput {
  /** Prefix + generated ids per returned sequence (prompts × numReturnSequences rows). */
  sequences: number[][];
  /** Length of the prefix each sequence starts with (the padded prompt for decoder-only models). */
  prefixLength: number;
  /** Beam search: the length-normalised log-probability of each returned sequence. */
  sequencesScores?: number[];
  stopReason: StopReason;
}

export interface GenerateOptions extends Partial<GenerationConfig> {
  /** 1 for real tokens, 0 for padding; required when `inputIds` is already padded. */
  attentionMask?: number[][] | tf.Tensor;
  /** Seed for sampling; the same seed gives the same tokens. */
  seed?: number;
  /** The generator to sample from (instead of `seed`). */
  rng?: Random;
  /** Rows finish when their generated text contains one of these (needs `tokenizer`). */
  stopStrings?: string | string[];
  /** Decodes ids to text, for `stopStrings`. */
  tokenizer?: { decode(ids: number[]): string };
  /**
   * Follows generation as it happens (not with beam search): a function gets every step's tokens
   * (all rows); a `Streamer` (e.g. a `TextStreamer`) gets `put(prompt)`, `put([token])` per step
   * and `end()`, for one generated row (one prompt, one sequence), as Hugging Face's streamers.
   */
  streamer?: ((event: TokenEvent) => void | Promise<void>) | Streamer;
  /** Stops generation at the next step; the output so far is returned with stopReason 'aborted'. */
  signal?: AbortSignal;
  /** Extra processors, run after the built-in (and registered) ones and before the warpers. */
  logitsProcessors?: LogitsProcessor[];
  /** Registry whose `logitsProcessor` entries join the built-ins (see `registerGeneration`). */
  registry?: Registry;
}

export type PromptIds = number[] | number[][] | tf.Tensor;

/** Generates continuations of the prompts. */
export async function generate(model: GenerationModel, inputIds: PromptIds, options: GenerateOptions = {}): Promise<GenerateOutput> {
  const run = generateStream(model, inputIds, options);
  try {
    for (;;) {
      const next = await run.next();
      if (next.done) return next.value;
      if (typeof options.streamer === 'function') await options.streamer(next.value);
    }
  } finally {
    // Closes the generator (and so its decoding session) when the streamer threw.
    await run.return(undefined as never);
  }
}

/**
 * Generates as an async iterator of token events; the iterator's return value is the full output.
 * `for await (const { tokens } of generateStream(model, ids, opts)) process.stdout.write(…)`.
 */
export async function* generateStream(model: GenerationModel, inputIds: PromptIds, options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateOutput, void> {
  checkOptionNames(options);
  const early = resolveGenerationConfig(0, model.generationConfig, options);
  const prompt = normalisePrompt(inputIds, options.attentionMask, early, model.paddingSide ?? 'left');
  const limit = maxPositionsOf(model, options.registry);
  const promptLength = (prompt.inputIds[0] as number[]).length;
  if (limit !== undefined && promptLength > limit) {
    throw new GenerationError(`generate: the prompt is ${promptLength} tokens, but this model reads at most ${limit} (its maximum positions); shorten the prompt`);
  }
  const start = early.decoderStartTokenId;
  const session = model.startDecoding(prompt, { useCache: early.useCache, ...(start !== undefined ? { decoderStartTokenId: start } : {}) });
  try {
    const prefixLength = (session.prefix[0] as number[]).length;
    const config = resolveGenerationConfig(prefixLength, model.generationConfig, options);
    if (limit !== undefined && config.maxLength > limit) {
      const fits = Math.max(0, limit - prefixLength);
      throw new GenerationError(
        `generate: ${prefixLength} prompt tokens + ${config.maxLength - prefixLength} new tokens need ${config.maxLength} positions, but this model has ${limit}; ` +
          `lower maxNewTokens to at most ${fits}${config.maxNewTokens === undefined ? ' (or maxLength to at most ' + limit + ')' : ''} or shorten the prompt`,
      );
    }
    const { processors, warpers } = buildLogitsPipeline(config, options.registry);
    processors.push(...(options.logitsProcessors ?? []));
    if (config.numBeams > 1) {
      if (options.streamer) throw new ConfigError('generate: streaming is not available with beam search (numBeams > 1)');
      return await beamSearch(session, config, processors, config.doSample ? warpers : [], options);
    }
    return yield* greedyOrSample(session, config, processors, config.doSample ? warpers : [], options);
  } finally {
    session.dispose();
  }
}

/**
 * The most positions (prefix + new tokens) a row of `model` may hold: the model's own
 * `maxPositions`, else its family's registry entry (`maxPositions(config.json)`), else no limit.
 */
export function maxPositionsOf(model: GenerationModel, registry?: Registry): number | undefined {
  if (typeof model.maxPositions === 'number') return model.maxPositions;
  const { modelType, hfConfig } = model as { modelType?: unknown; hfConfig?: unknown };
  if (typeof modelType !== 'string' || typeof hfConfig !== 'object' || hfConfig === null) return undefined;
  return registry?.model.tryGet(modelType)?.maxPositions?.(hfConfig as Record<string, unknown>);
}

/** Options `generate` reads besides the generation settings. */
const RUN_OPTIONS = ['attentionMask', 'seed', 'rng', 'stopStrings', 'tokenizer', 'streamer', 'signal', 'logitsProcessors', 'registry'] as const satisfies readonly (keyof GenerateOptions)[];

/**
 * Plain JavaScript callers pass Hugging Face's snake_case names (`max_new_tokens`) or typos, which
 * would be ignored silently: an unknown option name is an error that suggests the camelCase one.
 */
function checkOptionNames(options: GenerateOptions): void {
  if (options === null || typeof options !== 'object') throw new ConfigError(`generate: options must be an object, got ${options === null ? 'null' : typeof options}`);
  const known = new Set<string>([...Object.keys(GENERATION_DEFAULTS), ...RUN_OPTIONS]);
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = known.has(camel) ? `; did you mean "${camel}"?` : `; known options: ${[...known].join(', ')}`;
    throw new ConfigError(`generate: unknown option "${key}"${hint}`);
  }
}

function normalisePrompt(inputIds: PromptIds, mask: GenerateOptions['attentionMask'], config: ResolvedGenerationConfig, side: 'left' | 'right') {
  let rows: number[][];
  if (inputIds instanceof tf.Tensor) {
    if (inputIds.isDisposed || inputIds.dtype === 'string' || inputIds.dtype === 'complex64') throw new ConfigError(`generate: inputIds is a ${inputIds.isDisposed ? 'disposed' : inputIds.dtype} tensor; pass token ids`);
    if (inputIds.rank !== 2) throw new ConfigError(`generate: inputIds must be [batch, length], got [${inputIds.shape}]`);
    rows = inputIds.arraySync() as number[][];
  } else {
    if (typeof inputIds === 'string') throw new ConfigError('generate: inputIds is a string; pass token ids, e.g. [tokenizer.encode(text).ids], or use the text-generation pipeline');
    if (!Array.isArray(inputIds)) throw new ConfigError('generate: inputIds must be token ids: an array, an array of rows, or a [batch, length] tensor');
    rows = inputIds.length > 0 && Array.isArray(inputIds[0]) ? (inputIds as number[][]) : [inputIds as number[]];
  }
  // Rows of integers (their range is the model's to check); a hostile value must not reach padding.
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || !row.every((id) => Number.isInteger(id))) throw new ConfigError(`generate: inputIds row ${r} must be an array of integer token ids`);
  });
  if (rows.length === 0) throw new ConfigError('generate: no prompts given');
  if (rows.every((r) => r.length === 0)) {
    if (config.bosTokenId === undefined) throw new ConfigError('generate: the prompt is empty and no bosTokenId is set to start from');
    rows = rows.map(() => [config.bosTokenId as number]);
  }
  if (mask !== undefined) {
    const m = mask instanceof tf.Tensor ? (mask.arraySync() as number[][]) : mask;
    const fits = m.length === rows.length && m.every((r, i) => r.length === (rows[i] as number[]).length) && rows.every((r) => r.length === (rows[0] as number[]).length);
    if (!fits) throw new ConfigError('generate: attentionMask must have the shape of inputIds, and both must be rectangular (pad the prompts, or pass unpadded rows without a mask)');
    return { inputIds: rows.map((r) => [...r]), attentionMask: m.map((r) => [...r]) };
  }
  return padBatch(rows, config.padTokenId ?? 0, side);
}

/** Reads `[rows, vocab]` logits into one Float32Array per row and disposes the tensor. */
/** The session's next-token logits, through its asynchronous form when it has one. */
function nextLogits(session: DecodingSession): tf.Tensor2D | Promise<tf.Tensor2D> {
  return session.nextTokenLogitsAsync ? session.nextTokenLogitsAsync() : session.nextTokenLogits();
}

async function readRows(t: tf.Tensor2D): Promise<Float32Array[]> {
  try {
    const [rows, vocab] = t.shape;
    const data = (await t.data()) as Float32Array;
    return Array.from({ length: rows }, (_, r) => data.subarray(r * vocab, (r + 1) * vocab));
  } finally {
    t.dispose();
  }
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

/**
 * Lets timers and signals run between steps (an abort from a timer or Ctrl+C needs a macrotask turn).
 * Node: setImmediate. Browsers and workers: a MessageChannel message, a task that browsers do not
 * delay, where nested `setTimeout(…, 0)` calls are clamped to ≥ 4 ms each (the HTML standard's
 * nesting rule; it had capped the tiny GPT-2 at about 200 tokens/s in Chromium).
 */
let channel: { port: MessagePort; waiting: (() => void)[] } | undefined;
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise<void>((resolve) => setImmediate(resolve));
  if (typeof MessageChannel !== 'function') return new Promise<void>((resolve) => setTimeout(resolve, 0));
  if (!channel) {
    const { port1, port2 } = new MessageChannel();
    const waiting: (() => void)[] = [];
    port1.onmessage = () => waiting.shift()?.();
    // Where ports keep a process alive (Node, Deno), this one must not.
    for (const port of [port1, port2]) (port as { unref?: () => void }).unref?.();
    channel = { port: port2, waiting };
  }
  const { port, waiting } = channel;
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}

function makeRng(options: GenerateOptions): Random {
  return options.rng ?? new Random(options.seed ?? Math.floor(Math.random() * 0x100000000));
}

async function* greedyOrSample(
  session: DecodingSession,
  config: ResolvedGenerationConfig,
  processors: LogitsProcessor[],
  warpers: LogitsProcessor[],
  options: GenerateOptions,
): AsyncGenerator<TokenEvent, GenerateOutput, void> {
  const copies = config.doSample ? config.numReturnSequences : 1;
  const rows = session.prefix.flatMap((_, r) => new Array<number>(copies).fill(r));
  if (copies > 1) session.selectRows(rows);
  const sequences = rows.map((r) => [...(session.prefix[r] as number[])]);
  const n = sequences.length;
  const streamer = typeof options.streamer === 'object' ? options.streamer : undefined;
  if (streamer && n !== 1) throw new ConfigError(`generate: a Streamer follows one sequence, but ${n} are generated (one prompt and numReturnSequences 1; or pass a function, which sees every row)`);
  await streamer?.put(sequences[0] as number[]);
  const finished = new Array<boolean>(n).fill(false);
  const stops = StopStringChecker.create(options.stopStrings, options.tokenizer, config.prefixLength);
  const rng = config.doSample ? makeRng(options) : undefined;
  const padFor = () => {
    if (config.padTokenId === undefined) throw new ConfigError('generate: a finished row must be padded while others continue; set padTokenId');
    return config.padTokenId;
  };
  let stopReason: StopReason = 'max-length';
  for (let step = 0; (sequences[0] as number[]).length < config.maxLength; step++) {
    if (options.signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    const scores = await readRows(await nextLogits(session));
    applyProcessors(processors, sequences, scores);
    applyProcessors(warpers, sequences, scores);
    const tokens = scores.map((row, r) => {
      if (finished[r]) return padFor();
      return rng ? rng.categorical(softmax(row)) : argmax(row);
    });
    tokens.forEach((t, r) => (sequences[r] as number[]).push(t));
    session.append(tokens);
    for (let r = 0; r < n; r++) {
      if (finished[r]) continue;
      if (config.eosTokenIds.includes(tokens[r] as number)) {
        finished[r] = true;
        stopReason = 'eos';
      } else if (stops?.matches(sequences[r] as number[])) {
        finished[r] = true;
        stopReason = 'stop-string';
      }
    }
    await streamer?.put([tokens[0] as number]);
    yield { step, tokens, finished: [...finished] };
    if (finished.every(Boolean)) break;
    stopReason = 'max-length';
    await yieldToEventLoop();
  }
  await streamer?.end();
  return { sequences, prefixLength: config.prefixLength, stopReason };
}

/** The `count` highest (score, index) pairs of `values`, descending; ties favour the lower index. */
function topCandidates(values: Float32Array, count: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (best.length === count && v <= (values[best[count - 1] as number] as number)) continue;
    let pos = best.length;
    while (pos > 0 && (values[best[pos - 1] as number] as number) < v) pos--;
    best.splice(pos, 0, i);
    if (best.length > count) best.pop();
  }
  return best;
}

/** `count` indices drawn without replacement from softmax(values), then ordered by value descending. */
function sampleCandidates(values: Float32Array, count: number, rng: Random): number[] {
  const weights = softmax(values);
  const picked: number[] = [];
  for (let j = 0; j < count; j++) {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) break;
    const i = rng.categorical(weights);
    picked.push(i);
    weights[i] = 0;
  }
  return picked.sort((a, b) => (values[b] as number) - (values[a] as number));
}

async function beamSearch(
  session: DecodingSession,
  config: ResolvedGenerationConfig,
  processors: LogitsProcessor[],
  warpers: LogitsProcessor[],
  options: GenerateOptions,
): Promise<GenerateOutput> {
  const k = config.numBeams;
  const batch = session.prefix.length;
  const rows = session.prefix.flatMap((_, r) => new Array<number>(k).fill(r));
  session.selectRows(rows);
  let sequences = rows.map((r) => [...(session.prefix[r] as number[])]);
  // Only beam 0 is live at first, so the k beams do not all pick the same token.
  let beamScores = Float32Array.from({ length: batch * k }, (_, i) => (i % k === 0 ? 0 : -1e9));
  const scorer = new BeamSearchScorer(batch, k, {
    lengthPenalty: config.lengthPenalty,
    earlyStopping: config.earlyStopping,
    maxLength: config.maxLength,
    numBeamHypsToKeep: config.numReturnSequences,
    prefixLength: config.prefixLength,
  });
  const keep = Math.max(2, 1 + config.eosTokenIds.length) * k;
  const rng = config.doSample ? makeRng(options) : undefined;
  let stopReason: StopReason = 'max-length';
  while ((sequences[0] as number[]).length < config.maxLength) {
    if (options.signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    const logits = await nextLogits(session);
    const scores = await readRows(tf.tidy(() => tf.logSoftmax(logits)));
    logits.dispose();
    applyProcessors(processors, sequences, scores);
    scores.forEach((row, r) => {
      const add = beamScores[r] as number;
      for (let i = 0; i < row.length; i++) row[i] = (row[i] as number) + add;
    });
    applyProcessors(warpers, sequences, scores);
    const vocab = (scores[0] as Float32Array).length;
    const candidates = Array.from({ length: batch }, (_, b) => {
      const flat = new Float32Array(k * vocab);
      for (let j = 0; j < k; j++) flat.set(scores[b * k + j] as Float32Array, j * vocab);
      const picked = rng ? sampleCandidates(flat, keep, rng) : topCandidates(flat, keep);
      return picked.map((i) => ({ score: flat[i] as number, token: i % vocab, beam: Math.floor(i / vocab) }));
    });
    const step = scorer.process(sequences, candidates, config.eosTokenIds, config.padTokenId);
    sequences = step.rows.map((row, i) => [...(sequences[row] as number[]), step.tokens[i] as number]);
    beamScores = Float32Array.from(step.scores);
    session.selectRows(step.rows);
    session.append(step.tokens);
    if (scorer.isDone) {
      stopReason = 'eos';
      break;
    }
    await yieldToEventLoop();
  }
  if (sequences.length !== batch * k) throw new GenerationError('beam search: the session lost rows');
  const out = scorer.finalize(sequences, Array.from(beamScores), config.eosTokenIds, config.padTokenId);
  return { sequences: out.sequences, sequencesScores: out.scores, prefixLength: config.prefixLength, stopReason };
}
