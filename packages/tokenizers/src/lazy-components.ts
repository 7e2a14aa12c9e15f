/**
 * `@tfkit/tokenizers/lazy`'s loaders: loading only the component types a tokenizer.json names, and
 * the features it asks for. Each built-in type and feature maps to a literal dynamic import of its
 * module (lazy/*.ts), so bundlers put every module in a chunk of its own and a page fetches the few
 * its tokenizer needs (GPT-2: the byte-level module, with its pre-tokenizer, post-processor and
 * decoder, and BPE). No static import of a component module here, and nothing the modular
 * `@tfkit/tokenizers/core` exports imports this module: a bundle that holds these dynamic imports
 * makes a chunk of every module they name (and loads each that some import re-exports).
 *
 * The core's chunk anchor: each lazy entry (lazy/*.ts), the trainer entry
 * and the loaders import this module, the lazy entries bare (`import '../lazy-components.js'`).
 * Bundlers with code splitting (esbuild, tsup) split per file by the set of entries that reach it;
 * through this module each of those entries reaches the whole core, so every core file has the
 * same set and the core is one chunk, not one chunk per set, each gzipped on its own. The bare
 * import binds nothing: esbuild drops it from the output (and warns, which tsup.config.ts silences)
 * after it has shaped the chunks. The lazy entries are thin re-exports of the component modules,
 * not the modules themselves, so that the main entry and the core entry, which import the
 * component modules statically, never reach the anchor through them.
 */
import type { Registry } from '@tfkit/core-tensor/lite';
import { BUILTIN_TYPES, isRegistered, moduleOf, modelType, SEQUENCE_KEY, type ComponentFamily } from './components.js';
import { hasFeature, use, type FeatureName, type TokenizerModule } from './features.js';
import { fetchTokenizerFiles } from './fetch-tokenizer.js';
import { At, Fields, isPlainObject } from './json-reader.js';
import { Tokenizer } from './tokenizer.js';

type Loader = () => Promise<TokenizerModule>;

/** Each component module (components.ts' `moduleOf`) and feature `loadTokenizer` may import, by name. */
const MODULES: Record<string, Loader> = {
  byteLevel: () => import('./lazy/byte-level.js').then((m) => m.BYTE_LEVEL),
  preTokenizers: () => import('./lazy/pre-tokenizers.js').then((m) => m.PRE_TOKENIZERS),
  normalizers: () => import('./lazy/normalizers.js').then((m) => m.NORMALIZERS),
  postProcessors: () => import('./lazy/processors.js').then((m) => m.PROCESSORS),
  roberta: () => import('./lazy/roberta.js').then((m) => m.ROBERTA_PROCESSOR),
  decoders: () => import('./lazy/decoders.js').then((m) => m.DECODERS),
  bpe: () => import('./lazy/bpe.js').then((m) => m.BPE_MODEL),
  wordPiece: () => import('./lazy/wordpiece.js').then((m) => m.WORDPIECE_MODEL),
  wordLevel: () => import('./lazy/wordlevel.js').then((m) => m.WORDLEVEL_MODEL),
  truncation: () => import('./lazy/truncation.js').then((m) => m.truncation),
  padding: () => import('./lazy/padding.js').then((m) => m.padding),
  trimOffsets: () => import('./lazy/trim-offsets.js').then((m) => m.trimOffsets),
  bpeDropout: () => import('./lazy/bpe-dropout.js').then((m) => m.bpeDropout),
  serialization: () => import('./lazy/serialization.js').then((m) => m.serialization),
};

/**
 * Whether a post-processor entry (a Sequence's steps included) trims byte-level offsets: a
 * ByteLevel or RobertaProcessing one whose `trim_offsets` is not false (both default to true).
 */
function trimsOffsets(value: unknown, depth = 0): boolean {
  if (!isPlainObject(value) || depth > MAX_WALK_DEPTH) return false;
  if ((value['type'] === 'ByteLevel' || value['type'] === 'RobertaProcessing') && value['trim_offsets'] !== false) return true;
  return Array.isArray(value['processors']) && value['processors'].some((step) => trimsOffsets(step, depth + 1));
}

const FAMILIES: readonly ComponentFamily[] = ['normalizer', 'pre_tokenizer', 'model', 'post_processor', 'decoder'];
/** Deeper than `At.checkDepth` allows: building the tokenizer reports such a file. */
const MAX_WALK_DEPTH = 40;

/**
 * The component types a tokenizer.json names (Sequence steps included), per family. Entries that
 * are not objects with a string `type` are skipped: `Tokenizer.fromJSON` reports them.
 */
export function componentTypes(json: unknown): Record<ComponentFamily, string[]> {
  const found = Object.fromEntries(FAMILIES.map((f) => [f, [] as string[]])) as Record<ComponentFamily, string[]>;
  if (!isPlainObject(json)) return found;
  const visit = (family: ComponentFamily, value: unknown, depth: number): void => {
    if (!isPlainObject(value) || depth > MAX_WALK_DEPTH) return;
    let type: unknown = value['type'];
    if (family === 'model') type = typeof type === 'string' || type === undefined ? modelType(Fields.of(value, new At('tokenizer.json'))) : undefined;
    if (typeof type !== 'string') return;
    if (!found[family].includes(type)) found[family].push(type);
    if (family !== 'model' && type === 'Sequence' && Array.isArray(value[SEQUENCE_KEY[family]])) {
      for (const step of value[SEQUENCE_KEY[family]] as unknown[]) visit(family, step, depth + 1);
    }
  };
  for (const family of FAMILIES) if (Object.hasOwn(json, family)) visit(family, json[family], 0);
  return found;
}

/**
 * Imports and registers the built-in component types `json` (a parsed tokenizer.json) names that
 * are not registered yet, and the features it asks for (truncation, padding, offset trimming,
 * BPE-dropout) that are not loaded yet. Types that
 * are not built in are left to `Tokenizer.fromJSON`, which rejects them with a TokenizerError
 * naming the type and where it sits (or, for models, builds them through `registry`).
 */
export async function loadComponents(json: unknown): Promise<void> {
  const names = new Set<string>();
  for (const [family, types] of Object.entries(componentTypes(json)) as [ComponentFamily, string[]][]) {
    for (const type of types) if (BUILTIN_TYPES[family].includes(type) && !isRegistered(family, type)) names.add(moduleOf(family, type));
  }
  if (isPlainObject(json)) {
    const wants = { truncation: json['truncation'] != null, padding: json['padding'] != null, trimOffsets: trimsOffsets(json['post_processor']), bpeDropout: isPlainObject(json['model']) && !!json['model']['dropout'] };
    for (const [f, wanted] of Object.entries(wants) as [FeatureName, boolean][]) if (wanted && !hasFeature(f)) names.add(f);
  }
  use(...(await Promise.all([...names].map((name) => MODULES[name]!()))));
}

/**
 * Imports and adds features a page uses per call (`encode`'s truncation or padding options on a
 * file that sets none, `toJSON`): on `@tfkit/tokenizers/lazy`, what `use(truncation)` of
 * `@tfkit/tokenizers/core` is, each feature a chunk of its own. `pretrained` is `use(pretrained)`.
 */
export async function loadFeatures(...names: Exclude<FeatureName, 'pretrained'>[]): Promise<void> {
  use(...(await Promise.all(names.filter((name) => !hasFeature(name)).map((name) => MODULES[name]!()))));
}

export interface LoadTokenizerOptions {
  /** Model types registered here take precedence over the built-in ones. */
  registry?: Registry;
  /** How error messages name tokenizer.json (default `tokenizer.json`). */
  file?: string;
  /** How error messages name tokenizer_config.json. */
  configFile?: string;
}

/**
 * Builds a tokenizer from a parsed tokenizer.json (and optionally tokenizer_config.json), first
 * importing the component modules it names. Same result as `Tokenizer.fromJSON`; a file naming an
 * unknown type fails with a TokenizerError naming the type and its JSON path.
 */
export async function loadTokenizer(json: unknown, config?: unknown, options: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  await loadComponents(json);
  return Tokenizer.fromJSON(json, config, options);
}

/**
 * Fetches a tokenizer with plain `fetch` and builds it with `loadTokenizer`: `url` is a
 * tokenizer.json file, or a folder (prefix) holding tokenizer.json and, optionally,
 * tokenizer_config.json. Relative URLs resolve as `fetch` resolves them (against the page). No
 * cache and no hub ids: that is `Tokenizer.fromPretrained` of `@tfkit/tokenizers`.
 */
export async function loadTokenizerFromUrl(url: string | URL, init?: RequestInit): Promise<Tokenizer> {
  const { json, config, file, configFile } = await fetchTokenizerFiles(url, init);
  return loadTokenizer(json, config, { file, configFile });
}
