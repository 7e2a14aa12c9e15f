/**
 * Logits processors as registry entries, so a plugin adds one with a `register` call:
 *
 * ```ts
 * registry.ns('logitsProcessor').register('ban-digits', {
 *   kind: 'processor', order: 450,
 *   create: (config) => (config.doSample ? new BanDigits() : null),
 * });
 * ```
 *
 * `order` follows Hugging Face's pipeline: processors (penalties, constraints) run before warpers
 * (temperature, top-k, top-p), each group in ascending order.
 */
import type { NamespaceSpec, Registry, RegisterOptions } from '@tfkit/core-tensor';
import type { ResolvedGenerationConfig } from './generation-config.js';
import {
  ForcedBOSTokenLogitsProcessor, ForcedEOSTokenLogitsProcessor, MinLengthLogitsProcessor, MinNewTokensLogitsProcessor, NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor,
  TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, type LogitsProcessor,
} from './logits-processors.js';

export interface LogitsProcessorEntry {
  /** 'processor' runs in every decoding mode; 'warper' only when sampling. */
  readonly kind: 'processor' | 'warper';
  /** Position within its kind; lower runs first. Built-ins use multiples of 100. */
  readonly order: number;
  readonly description?: string;
  /** The processor for this generation's settings, or null when it does not apply. */
  create(config: ResolvedGenerationConfig): LogitsProcessor | null;
}

/** Built-in keys (plugins extend this interface by declaration merging). */
export interface LogitsProcessorEntries {
  'repetition-penalty': LogitsProcessorEntry;
  'no-repeat-ngram': LogitsProcessorEntry;
  'min-length': LogitsProcessorEntry;
  'min-new-tokens': LogitsProcessorEntry;
  'forced-bos': LogitsProcessorEntry;
  'forced-eos': LogitsProcessorEntry;
  temperature: LogitsProcessorEntry;
  'top-k': LogitsProcessorEntry;
  'top-p': LogitsProcessorEntry;
}

declare module '@tfkit/core-tensor' {
  interface RegistryNamespaces {
    logitsProcessor: NamespaceSpec<LogitsProcessorEntries, LogitsProcessorEntry>;
  }
}

/** Beam sampling keeps at least two candidates per beam, as Hugging Face does. */
const minTokensToKeep = (c: ResolvedGenerationConfig) => (c.numBeams > 1 ? 2 : 1);

export const BUILTIN_LOGITS_PROCESSORS: Readonly<Record<keyof LogitsProcessorEntries, LogitsProcessorEntry>> = {
  'repetition-penalty': {
    kind: 'processor', order: 100, description: 'CTRL repetition penalty (repetitionPenalty)',
    create: (c) => (c.repetitionPenalty !== 1 ? new RepetitionPenaltyLogitsProcessor(c.repetitionPenalty) : null),
  },
  'no-repeat-ngram': {
    kind: 'processor', order: 200, description: 'bans repeated n-grams (noRepeatNgramSize)',
    create: (c) => (c.noRepeatNgramSize > 0 ? new NoRepeatNGramLogitsProcessor(c.noRepeatNgramSize) : null),
  },
  'min-length': {
    kind: 'processor', order: 300, description: 'no eos before minLength',
    create: (c) => (c.minLength > 0 && c.eosTokenIds.length ? new MinLengthLogitsProcessor(c.minLength, c.eosTokenIds) : null),
  },
  'min-new-tokens': {
    kind: 'processor', order: 400, description: 'no eos before minNewTokens new tokens',
    create: (c) => (c.minNewTokens && c.eosTokenIds.length ? new MinNewTokensLogitsProcessor(c.prefixLength, c.minNewTokens, c.eosTokenIds) : null),
  },
  'forced-bos': {
    kind: 'processor', order: 500, description: 'forces forcedBosTokenId as the first generated token',
    create: (c) => (c.forcedBosTokenId !== undefined ? new ForcedBOSTokenLogitsProcessor(c.forcedBosTokenId) : null),
  },
  'forced-eos': {
    kind: 'processor', order: 600, description: 'forces forcedEosTokenId as the last token at maxLength',
    create: (c) => {
      const ids = c.forcedEosTokenId;
      if (ids === undefined) return null;
      return new ForcedEOSTokenLogitsProcessor(c.maxLength, Array.isArray(ids) ? ids : [ids]);
    },
  },
  temperature: {
    kind: 'warper', order: 100, description: 'divides logits by temperature',
    create: (c) => (c.temperature !== 1 ? new TemperatureLogitsWarper(c.temperature) : null),
  },
  'top-k': {
    kind: 'warper', order: 200, description: 'keeps the topK most likely tokens',
    create: (c) => (c.topK > 0 ? new TopKLogitsWarper(c.topK, minTokensToKeep(c)) : null),
  },
  'top-p': {
    kind: 'warper', order: 300, description: 'nucleus sampling (topP)',
    create: (c) => (c.topP < 1 ? new TopPLogitsWarper(c.topP, minTokensToKeep(c)) : null),
  },
};

/** Registers the built-in processors and warpers under `registry.ns('logitsProcessor')`. */
export function registerGeneration(registry: Registry, options: RegisterOptions = {}): void {
  const ns = registry.ns('logitsProcessor');
  for (const [key, entry] of Object.entries(BUILTIN_LOGITS_PROCESSORS)) ns.register(key, entry, options);
}

/**
 * The processors and warpers for a generation: the built-ins, replaced or joined by whatever the
 * registry's `logitsProcessor` namespace holds (a plugin's entries take part in every generate call
 * given that registry).
 */
export function buildLogitsPipeline(config: ResolvedGenerationConfig, registry?: Registry): { processors: LogitsProcessor[]; warpers: LogitsProcessor[] } {
  const byKey = new Map<string, LogitsProcessorEntry>(Object.entries(BUILTIN_LOGITS_PROCESSORS));
  if (registry) for (const [key, entry] of registry.ns('logitsProcessor').entriesList()) byKey.set(key, entry);
  const entries = [...byKey.values()];
  const build = (kind: LogitsProcessorEntry['kind']) =>
    entries
      .filter((e) => e.kind === kind)
      .sort((a, b) => a.order - b.order)
      .map((e) => e.create(config))
      .filter((p): p is LogitsProcessor => p !== null);
  return { processors: build('processor'), warpers: build('warper') };
}
