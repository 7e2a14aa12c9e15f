/**
 * The tokenizer's optional features, loaded like its component types: truncation (with overflowing
 * windows), padding, writing tokenizer.json / tokenizer_config.json (`toJSON`, `toConfigJSON`),
 * byte-level offset trimming (`trim_offsets` of the ByteLevel and RobertaProcessing
 * post-processors), BPE-dropout's seeded generator, and file loading (`fromPretrained`,
 * `savePretrained`, `train`'s loader). The main entry
 * `@tfkit/tokenizers` loads every one; `@tfkit/tokenizers/core` loads none by itself, so a page that
 * only encodes and decodes does not ship them. `use(…)` adds features and component modules (as
 * modular SDKs do: what a page imports is what it ships); `loadTokenizer` also imports the
 * truncation and padding a tokenizer.json sets. Using a feature that is not loaded throws a
 * TokenizerError naming the import that adds it; no option is ever ignored.
 */
import type { TokenizerConfigJson } from './config.js';
import { registerComponents, type ComponentBuilders } from './components.js';
import type { EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { At, Fields } from './json-reader.js';
import type { FromPretrainedOptions } from './loaders.js';
import type { ModelJson, TokenizerModel } from './models/model.js';
import type { Tokenizer, Trainer } from './tokenizer.js';
import type { EncodeOptions, TokenizerJson } from './tokenizer-types.js';
import type { FileSource } from '@tfkit/core-tensor/lite';
import type { PaddingParams } from './padding.js';
import type { TruncationParams } from './truncation.js';

/** `encode`'s options with the tokenizer's defaults filled in (tokenizer.ts' `withDefaults`). */
export type ResolvedEncodeOptions = EncodeOptions & { padLength?: number; padTypeId?: number };

export interface TruncationFeature {
  readonly feature: 'truncation';
  /** tokenizer.json `truncation` (an object; `at` is where it sits). */
  fromJSON(json: unknown, at: At): TruncationParams;
  toJSON(t: TruncationParams): unknown;
  /** Fills the call's unset truncation options from the tokenizer's default. */
  defaults(t: TruncationParams, options: EncodeOptions, out: ResolvedEncodeOptions): void;
  /** Cuts a sequence (and its pair) as `options` say. */
  truncate(tokenizer: Tokenizer, a: EncodingData, b: EncodingData | null, addSpecial: boolean, options: ResolvedEncodeOptions): void;
  /** Merges post-processed pieces that hold overflowing windows (Hugging Face's `Encoding::merge_with`). */
  merge(encodings: readonly EncodingData[]): EncodingData;
}

export interface PaddingFeature {
  readonly feature: 'padding';
  fromJSON(json: unknown, at: At): PaddingParams;
  toJSON(p: PaddingParams): unknown;
  defaults(p: PaddingParams, options: EncodeOptions, out: ResolvedEncodeOptions): void;
  /** Pads a batch as `options` say. */
  pad(tokenizer: Tokenizer, datas: EncodingData[], options: ResolvedEncodeOptions): void;
}

export interface SerializationFeature {
  readonly feature: 'serialization';
  toJSON(tokenizer: Tokenizer): TokenizerJson;
  toConfigJSON(tokenizer: Tokenizer): TokenizerConfigJson;
  /** A built-in model's tokenizer.json entry (its `toJSON`). */
  model(model: TokenizerModel): ModelJson;
  /** Checks the tokenizer_config.json fields only the config's writer (and the plain-vocab loaders) use. */
  checkConfig(f: Fields): void;
}

export interface PretrainedFeature {
  readonly feature: 'pretrained';
  fromPretrained(source: string | FileSource, options: FromPretrainedOptions): Promise<Tokenizer>;
  save(tokenizer: Tokenizer, dir: string): Promise<void>;
  loadTrainer(loaded: () => Trainer | undefined): Promise<void>;
}

export interface TrimOffsetsFeature {
  readonly feature: 'trimOffsets';
  /** Moves the offsets of `e` (and its windows) off the spaces of byte-level tokens. */
  trim(e: EncodingData, addPrefixSpace: boolean, tokenOf: (id: number) => string): void;
}

export interface BpeDropoutFeature {
  readonly feature: 'bpeDropout';
  /** A seeded generator of uniform numbers in [0, 1). */
  rng(seed: number): () => number;
}

export type TokenizerFeature = TruncationFeature | PaddingFeature | SerializationFeature | TrimOffsetsFeature | BpeDropoutFeature | PretrainedFeature;
type Features = { [F in TokenizerFeature as F['feature']]?: F };
export type FeatureName = keyof Features;

const loaded: Features = {};

/** What `use` takes: a feature, or a component module (`bpe`, `byteLevel`, … of `@tfkit/tokenizers/core`). */
export type TokenizerModule = TokenizerFeature | ComponentBuilders;

/**
 * Adds features (`truncation`, `padding`, `serialization`, `trimOffsets`, `bpeDropout`, and
 * `pretrained` of `@tfkit/tokenizers/lazy`) and component modules
 * (`byteLevel`, `bpe`, `wordPiece`, …) to every tokenizer of the page. Only needed with
 * `@tfkit/tokenizers/core`: the main entry has them all.
 */
export function use(...modules: TokenizerModule[]): void {
  for (const m of modules) {
    if ('feature' in m) (loaded as Record<string, TokenizerFeature>)[m.feature] = m;
    else registerComponents(m);
  }
}

/** Whether `name` is loaded. */
export function hasFeature(name: FeatureName): boolean {
  return loaded[name] !== undefined;
}

/** The feature `name` if it is loaded (for what only it uses). */
export function loadedFeature<K extends FeatureName>(name: K): Features[K] {
  return loaded[name];
}

/** The feature `name`; if it is not loaded, a TokenizerError: `what` needs it, and how to add it. */
export function need<K extends FeatureName>(name: K, what: string): NonNullable<Features[K]> {
  const f = loaded[name];
  if (f) return f as NonNullable<Features[K]>;
  throw new TokenizerError(`${what} needs the ${name} feature: \`import { use, ${name} } from '@tfkit/tokenizers/${name === 'pretrained' ? 'lazy' : 'core'}'\` and \`use(${name})\`, or import '@tfkit/tokenizers' (every feature).`);
}
