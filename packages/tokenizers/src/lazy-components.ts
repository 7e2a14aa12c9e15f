/**
 * Loading only the component types a tokenizer.json names: each built-in type maps to a literal
 * dynamic import of its module (lazy/*.ts, byte-level-components.ts), so bundlers put every module
 * in a chunk of its own and a page fetches the few its tokenizer needs (GPT-2: the byte-level
 * module, with its pre-tokenizer, post-processor and decoder, and BPE). No static import of a
 * component module here.
 *
 * The core's chunk anchor: each lazy entry (lazy/*.ts, byte-level-components.ts), the trainer entry
 * and the loaders import this module, the lazy entries bare (`import '../lazy-components.js'`).
 * Bundlers with code splitting (esbuild, tsup) split per file by the set of entries that reach it;
 * through this module each of those entries reaches the whole core, so every core file has the
 * same set and the core is one chunk, not one chunk per set, each gzipped on its own (a GPT-2 page
 * loaded 14 chunks before, 7 now). The bare import binds nothing: esbuild drops it from the output
 * (and warns, which tsup.config.ts silences) after it has shaped the chunks. The lazy entries are
 * thin re-exports of the component modules, not the modules themselves, so that the main entry,
 * which imports the component modules statically, never reaches the anchor: its one-file bundle
 * keeps its module order (and its gzip size).
 */
import type { Registry } from '@tfkit/core-tensor/lite';
import { BUILTIN_TYPES, isRegistered, modelType, registerComponents, SEQUENCE_KEY, type ComponentBuilders, type ComponentFamily } from './components.js';
import { TokenizerError } from './errors.js';
import { At, describeValue, Fields, isPlainObject } from './json-reader.js';
import { Tokenizer } from './tokenizer.js';

type Loader = () => Promise<ComponentBuilders>;

/** The three ByteLevel types (pre-tokenizer, post-processor, decoder) come as one module. */
const byteLevel: Loader = () => import('./byte-level-components.js').then((m) => m.BYTE_LEVEL);
const preTokenizers: Loader = () => import('./lazy/pre-tokenizers.js').then((m) => m.PRE_TOKENIZERS);
const normalizers: Loader = () => import('./lazy/normalizers.js').then((m) => m.NORMALIZERS);
const processors: Loader = () => import('./lazy/processors.js').then((m) => m.PROCESSORS);
const decoders: Loader = () => import('./lazy/decoders.js').then((m) => m.DECODERS);

/** Each built-in type of `family` (components.ts' BUILTIN_TYPES) → `own[type]`, or `rest`. */
function byType(family: ComponentFamily, rest: Loader | null, own: Record<string, Loader> = {}): Record<string, Loader> {
  return Object.fromEntries(BUILTIN_TYPES[family].map((type) => [type, own[type] ?? rest!]));
}

/** Family → type → the module that builds it. */
const LOADERS: Record<ComponentFamily, Record<string, Loader>> = {
  normalizer: byType('normalizer', normalizers),
  pre_tokenizer: byType('pre_tokenizer', preTokenizers, { ByteLevel: byteLevel }),
  model: byType('model', null, {
    BPE: () => import('./lazy/bpe.js').then((m) => m.BPE_MODEL),
    WordPiece: () => import('./lazy/wordpiece.js').then((m) => m.WORDPIECE_MODEL),
    WordLevel: () => import('./lazy/wordlevel.js').then((m) => m.WORDLEVEL_MODEL),
  }),
  post_processor: byType('post_processor', processors, { ByteLevel: byteLevel, RobertaProcessing: () => import('./lazy/roberta.js').then((m) => m.ROBERTA_PROCESSOR) }),
  decoder: byType('decoder', decoders, { ByteLevel: byteLevel }),
};

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
 * are not registered yet. Types that are not built in are left to `Tokenizer.fromJSON`, which
 * rejects them with a TokenizerError naming the type and where it sits (or, for models, builds
 * them through `registry`).
 */
export async function loadComponents(json: unknown): Promise<void> {
  const loaders = new Set<Loader>();
  for (const [family, types] of Object.entries(componentTypes(json)) as [ComponentFamily, string[]][]) {
    for (const type of types) {
      const load = LOADERS[family][type];
      if (load && !isRegistered(family, type)) loaders.add(load);
    }
  }
  for (const builders of await Promise.all([...loaders].map((load) => load()))) registerComponents(builders);
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

/** `fetch` of a JSON file: its value, `undefined` for a 404 when the file is optional. */
async function fetchJson(url: string, init: RequestInit | undefined, required: boolean): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new TokenizerError(`${url}: the request failed (${cause instanceof Error ? cause.message : describeValue(cause)}).`, { cause });
  }
  if (response.status === 404 && !required) return undefined;
  if (!response.ok) throw new TokenizerError(`${url}: HTTP ${response.status} ${response.statusText}; expected the file there.`);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenizerError(`${url}: not valid JSON (${cause instanceof Error ? cause.message : 'parse error'}).`, { cause });
  }
}

/**
 * Fetches a tokenizer with plain `fetch` and builds it with `loadTokenizer`: `url` is a
 * tokenizer.json file, or a folder (prefix) holding tokenizer.json and, optionally,
 * tokenizer_config.json. Relative URLs resolve as `fetch` resolves them (against the page). No
 * cache and no hub ids: that is `Tokenizer.fromPretrained` of `@tfkit/tokenizers`.
 */
export async function loadTokenizerFromUrl(url: string | URL, init?: RequestInit): Promise<Tokenizer> {
  const href = String(url);
  const file = /\.json([?#].*)?$/.test(href) ? href : `${href.replace(/\/+$/, '')}/tokenizer.json`;
  const configFile = /(^|\/)tokenizer\.json([?#].*)?$/.test(file) ? file.replace(/tokenizer\.json([?#].*)?$/, 'tokenizer_config.json$1') : undefined;
  const [json, config] = await Promise.all([fetchJson(file, init, true), configFile === undefined ? undefined : fetchJson(configFile, init, false)]);
  return loadTokenizer(json, config, { file, configFile });
}
