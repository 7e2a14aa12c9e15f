/**
 * The component registry: for each family of tokenizer.json components (normalizer, pre-tokenizer,
 * model, post-processor, decoder), the builders of the types loaded so far, keyed by `type`. The
 * tokenizer core builds components only through it and imports no component module, so a page can
 * bundle the core alone and load the few component modules a file names (`loadTokenizer` of
 * `@tfkit/tokenizers/core`); the main entry `@tfkit/tokenizers` registers every built-in type.
 */
import { Fields, quote, type At } from './json-reader.js';

/** The tokenizer.json key of each component family (the model's is `model`). */
export type ComponentFamily = 'normalizer' | 'pre_tokenizer' | 'model' | 'post_processor' | 'decoder';

/**
 * Builds one component from its checked fields. `build` builds a nested step (a Sequence's) of
 * the same family, through the same registry.
 */
export type ComponentBuilder<T = unknown> = (f: Fields, build: (f: Fields) => T) => T;

/** A module's builders: family → type → builder. */
export type ComponentBuilders = Partial<Record<ComponentFamily, Record<string, ComponentBuilder>>>;

/**
 * Every built-in type of each family, in the order error messages list them. The model's
 * `WordLevel` is also what an untyped model entry without merges or WordPiece fields is.
 */
export const BUILTIN_TYPES: Readonly<Record<ComponentFamily, readonly string[]>> = {
  normalizer: ['BertNormalizer', 'Lowercase', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Strip', 'StripAccents', 'Replace', 'Prepend', 'Sequence'],
  pre_tokenizer: ['ByteLevel', 'BertPreTokenizer', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'Digits', 'Split', 'Metaspace', 'CharDelimiterSplit', 'Sequence'],
  model: ['BPE', 'WordPiece', 'WordLevel'],
  post_processor: ['ByteLevel', 'BertProcessing', 'RobertaProcessing', 'TemplateProcessing', 'Sequence'],
  decoder: ['ByteLevel', 'WordPiece', 'BPEDecoder', 'Metaspace', 'Replace', 'Strip', 'Fuse', 'ByteFallback', 'Sequence'],
};

/** Each family's list key in a `Sequence` entry. */
export const SEQUENCE_KEY: Readonly<Record<Exclude<ComponentFamily, 'model'>, string>> = {
  normalizer: 'normalizers',
  pre_tokenizer: 'pretokenizers',
  post_processor: 'processors',
  decoder: 'decoders',
};

const registered: Record<ComponentFamily, Map<string, ComponentBuilder>> = {
  normalizer: new Map(),
  pre_tokenizer: new Map(),
  model: new Map(),
  post_processor: new Map(),
  decoder: new Map(),
};

/** Adds (or replaces) the builders of `builders`' types. */
export function registerComponents(builders: ComponentBuilders): void {
  for (const [family, types] of Object.entries(builders) as [ComponentFamily, Record<string, ComponentBuilder>][]) {
    for (const [type, build] of Object.entries(types)) registered[family].set(type, build);
  }
}

/** The types registered so far, per family (what a lean page has loaded). */
export function registeredComponents(): Record<ComponentFamily, string[]> {
  const out = {} as Record<ComponentFamily, string[]>;
  for (const family of Object.keys(registered) as ComponentFamily[]) out[family] = [...registered[family].keys()];
  return out;
}

/** Whether `type` of `family` can be built now. */
export function isRegistered(family: ComponentFamily, type: string): boolean {
  return registered[family].has(type);
}

/** The type of a model entry; old files omit it, and it is inferred from the fields. */
export function modelType(f: Fields): string {
  if (f.get('type') !== undefined) return f.string('type');
  if (f.get('merges') !== undefined) return 'BPE';
  if (f.get('max_input_chars_per_word') !== undefined || f.get('continuing_subword_prefix') !== undefined) return 'WordPiece';
  return 'WordLevel';
}

/**
 * The `@tfkit/tokenizers/core` export holding a built-in type's builder (what `use(…)` takes and
 * `loadTokenizer` imports): the three ByteLevel types are one module, each model one, RoBERTa's
 * post-processor one, the other types one module per family.
 */
export function moduleOf(family: ComponentFamily, type: string): string {
  if (type === 'ByteLevel') return 'byteLevel';
  if (family === 'model') return type === 'BPE' ? 'bpe' : type === 'WordPiece' ? 'wordPiece' : 'wordLevel';
  if (type === 'RobertaProcessing') return 'roberta';
  return { normalizer: 'normalizers', pre_tokenizer: 'preTokenizers', post_processor: 'postProcessors', decoder: 'decoders' }[family];
}

/**
 * The error for a type that cannot be built: not a built-in one (the supported list), or a
 * built-in one whose module was not loaded (a lean page that did not `use` it).
 */
export function unknownComponent(family: ComponentFamily, type: string, at: At, extra = ''): Error {
  const what = family === 'model' ? 'model' : family;
  if (BUILTIN_TYPES[family].includes(type)) {
    const m = moduleOf(family, type);
    return at.error(`${what} type ${quote(type)} is not loaded: \`import { use, ${m} } from '@tfkit/tokenizers/core'\` and \`use(${m})\`, or build with loadTokenizer(json) of @tfkit/tokenizers/lazy (it imports the types a file names), or import '@tfkit/tokenizers' (every type).`);
  }
  return at.error(`${what} type ${quote(type)} is not supported. Supported: ${BUILTIN_TYPES[family].join(', ')}${extra}.`);
}

/**
 * Builds the component of `family` at `at` through the registry (`null` for a missing entry,
 * except a model, which every tokenizer has).
 */
export function componentFromJSON<T>(family: ComponentFamily, json: unknown, at: At): T | null {
  if (json == null) return null;
  at.checkDepth();
  return buildFields<T>(family, Fields.of(json, at));
}

function buildFields<T>(family: ComponentFamily, f: Fields): T {
  f.at.checkDepth();
  const type = family === 'model' ? modelType(f) : f.string('type');
  const build = registered[family].get(type);
  if (!build) throw unknownComponent(family, type, f.where('type'));
  return build(f, (step) => buildFields<T>(family, step)) as T;
}
