/**
 * The Tokenizer: Hugging Face tokenizers' pipeline (normalizer → pre-tokenizer → model →
 * post-processor, decoder back) loaded from and saved to tokenizer.json, with transformers-style
 * truncation, overflowing windows and padding. Truncation, padding, `toJSON` and the file loaders
 * are features (features.ts): the main entry loads them all, `@tfkit/tokenizers/core` what a page
 * asks for.
 */
import type { FileSource, Registry } from '@tfkit/core-tensor/lite';
import { addedTokenFromJSON, AddedVocabulary, type AddedToken } from './added-vocabulary.js';
import { inferSpecialTokens, readConfig, SPECIAL_TOKEN_ROLES, specialTokensFromConfig, type SpecialTokensMap, type TokenizerConfigJson } from './config.js';
import { componentFromJSON, type ComponentFamily } from './components.js';
import { cleanUpTokenization } from './decoders/cleanup.js';
import type { Decoder } from './decoders/decoders.js';
import { Encoding, EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import { loadedFeature, need, type ResolvedEncodeOptions } from './features.js';
import { At, describeValue, Fields } from './json-reader.js';
import type { FromPretrainedOptions } from './loaders.js';
import { modelFromJSON } from './models/from-json.js';
import { IdTable, type TokenizerModel } from './models/model.js';
import type { Normalizer } from './normalizers/normalizers.js';
import { Pipeline } from './pipeline.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizers.js';
import { postProcess, type PostProcessor } from './processors/post-process.js';
import type { BatchInput, DecodeOptions, EncodeOptions, TokenizerJson, TokenizerParts } from './tokenizer-types.js';
import type { TrainCorpus, TrainOptions, TrainProgress } from './trainers/train.js';
import type { PaddingParams } from './padding.js';
import type { TruncationParams } from './truncation.js';

export type { BatchInput, DecodeOptions, EncodeOptions, TokenizerJson, TokenizerParts } from './tokenizer-types.js';
export type { TruncationParams, TruncationStrategy } from './truncation.js';
export type { PaddingParams } from './padding.js';

type Trainer = (options: TrainOptions, corpus: TrainCorpus, callbacks?: { onProgress?: (p: TrainProgress) => void }) => Promise<Tokenizer>;

/** `trainTokenizer` of `@tfkit/tokenizers/train`, set when that entry is loaded. */
let trainer: Trainer | undefined;

/** @internal Called by `@tfkit/tokenizers/train` as it loads. */
export function setTrainer(train: Trainer): void {
  trainer = train;
}

export type { Trainer };

export class Tokenizer {
  readonly model: TokenizerModel;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  /** tokenizer_config.json as loaded (kept and updated by `savePretrained`). */
  readonly config: TokenizerConfigJson;
  /** Special-token roles (`padToken`, `clsToken`, …) from the config, or guessed from conventional spellings. */
  readonly specialTokens: SpecialTokensMap;
  /** Default truncation and padding (as tokenizer.json may set them); `null` when none. */
  truncation: TruncationParams | null;
  padding: PaddingParams | null;
  private readonly added: AddedVocabulary;
  private readonly pipeline: Pipeline;
  /** id → token string (added tokens win), built on first use and after `addTokens`. */
  private tokenTable: IdTable | null = null;
  private readonly tokenOf = (id: number): string => (this.tokenTable ??= this.buildTokenTable()).get(id) ?? '';

  constructor(parts: TokenizerParts) {
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.config = { ...(parts.config ?? {}) };
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    // As in Hugging Face, an added token whose content is in the model's vocab keeps the vocab's id.
    this.added = new AddedVocabulary((parts.addedTokens ?? []).map((t) => ({ ...t, id: this.model.tokenToId(t.content) ?? t.id })));
    this.pipeline = new Pipeline(this.normalizer, this.preTokenizer, this.model, this.added);
    const fromConfig = specialTokensFromConfig(this.config);
    const hasRoles = SPECIAL_TOKEN_ROLES.some((r) => fromConfig[r] !== undefined);
    this.specialTokens = hasRoles ? fromConfig : { ...inferSpecialTokens(this.added.list().filter((t) => t.special).map((t) => t.content), this.model.unkToken), ...fromConfig };
  }

  /**
   * Loads a tokenizer from a local directory, a URL prefix or a hub id (`org/name`): tokenizer.json
   * (+ tokenizer_config.json), or vocab.json + merges.txt, or vocab.txt. The loaders and file
   * sources are imported on first use, so a page that only calls `fromJSON` never downloads them.
   */
  static async fromPretrained(source: string | FileSource, options: FromPretrainedOptions = {}): Promise<Tokenizer> {
    return need('pretrained', 'Tokenizer.fromPretrained').fromPretrained(source, options);
  }

  /**
   * Trains a new BPE (byte-level, GPT-2 style) or WordPiece (BERT style) tokenizer on a string, an
   * iterable or an async iterable of texts. Deterministic for the same corpus and options. The
   * trainer is `@tfkit/tokenizers/train`, loaded on first use in Node and unbundled ES modules; a
   * browser bundle holds it only where that entry is imported (bundlers cannot see this import).
   */
  static async train(options: TrainOptions, corpus: TrainCorpus, callbacks: { onProgress?: (p: TrainProgress) => void } = {}): Promise<Tokenizer> {
    // Loading it (Node, unbundled ES modules) is in the loaders' chunk: a page that never trains does not load that code.
    // (On `@tfkit/tokenizers/core`, importing `@tfkit/tokenizers/train` sets the trainer: no loader needed.)
    if (!trainer) await need('pretrained', 'Tokenizer.train').loadTrainer(() => trainer);
    return trainer!(options, corpus, callbacks);
  }

  /** Writes tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
  async savePretrained(dir: string): Promise<void> {
    // Node-only, with the loaders (imported on use: a page that never saves does not load them).
    await need('pretrained', 'savePretrained').save(this, dir);
  }

  /**
   * Builds a tokenizer from a parsed tokenizer.json (and optionally tokenizer_config.json). Every
   * field is checked as it is read: a malformed file fails with a TokenizerError naming the file
   * (`options.file`, `options.configFile`) and the field. Imported from `@tfkit/tokenizers`, every
   * component type is available; from `@tfkit/tokenizers/core`, only those loaded so far (use
   * `await loadTokenizer(json)` there: it imports the types the file names first).
   */
  static fromJSON(json: unknown, config?: unknown, options: { registry?: Registry; file?: string; configFile?: string } = {}): Tokenizer {
    const root = new At(options.file ?? 'tokenizer.json');
    const f = Fields.of(json, root);
    if (!f.has('model')) throw root.error('the "model" entry is missing; is this a Hugging Face tokenizer.json?');
    const model = modelFromJSON(f.get('model'), options.registry, f.where('model'));
    const added = f.array('added_tokens', []).map((t, i) => addedTokenFromJSON(t, f.where('added_tokens').index(i)));
    const part = <T>(family: ComponentFamily): T | null => componentFromJSON<T>(family, f.get(family), f.where(family));
    // Defaults the file sets need their feature (`null`: none set).
    const defaults = (k: 'truncation' | 'padding') => (f.has(k) ? need(k, `${f.where(k)}`).fromJSON(f.get(k), f.where(k)) : null);
    return new Tokenizer({
      model,
      normalizer: part<Normalizer>('normalizer'),
      preTokenizer: part<PreTokenizer>('pre_tokenizer'),
      postProcessor: part<PostProcessor>('post_processor'),
      decoder: part<Decoder>('decoder'),
      addedTokens: assignAddedIds(model, added),
      config: config == null ? undefined : configFromJSON(config, options.configFile),
      truncation: defaults('truncation') as TruncationParams | null,
      padding: defaults('padding') as PaddingParams | null,
    });
  }

  /** The tokenizer.json object (what `savePretrained` writes). */
  toJSON(): TokenizerJson {
    return need('serialization', 'toJSON').toJSON(this);
  }

  /** The tokenizer_config.json object (what `savePretrained` writes next to tokenizer.json). */
  toConfigJSON(): TokenizerConfigJson {
    return need('serialization', 'toConfigJSON').toConfigJSON(this);
  }

  /** Number of ids: the model's vocab and the added tokens (the size of an embedding table). */
  get vocabSize(): number {
    let n = this.model.vocabSize;
    for (const t of this.added.list()) n = Math.max(n, t.id + 1);
    return n;
  }

  get modelMaxLength(): number | undefined {
    const m = this.config.model_max_length;
    return typeof m === 'number' && m < 1e12 ? m : undefined;
  }

  private buildTokenTable(): IdTable {
    const added = this.added.list();
    const entries: [string, number][] = [...this.model.getVocab(), ...added.map((t): [string, number] => [t.content, t.id])];
    return new IdTable(entries, entries.length, this.vocabSize - 1);
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.byTokenId(id)?.content ?? this.model.idToToken(id);
  }

  /** Every added token (special ones and user-added words), in id order. */
  get addedTokens(): AddedToken[] {
    return this.added.list();
  }

  get allSpecialTokens(): string[] {
    return this.added.list().filter((t) => t.special).map((t) => t.content);
  }

  get allSpecialIds(): number[] {
    return this.added.list().filter((t) => t.special).map((t) => t.id);
  }

  get padTokenId(): number | undefined {
    return this.roleId('padToken');
  }
  get bosTokenId(): number | undefined {
    return this.roleId('bosToken');
  }
  get eosTokenId(): number | undefined {
    return this.roleId('eosToken');
  }
  get unkTokenId(): number | undefined {
    return this.roleId('unkToken');
  }
  get sepTokenId(): number | undefined {
    return this.roleId('sepToken');
  }
  get clsTokenId(): number | undefined {
    return this.roleId('clsToken');
  }
  get maskTokenId(): number | undefined {
    return this.roleId('maskToken');
  }

  private roleId(role: (typeof SPECIAL_TOKEN_ROLES)[number]): number | undefined {
    const t = this.specialTokens[role];
    return t === undefined ? undefined : this.tokenToId(t);
  }

  /**
   * Adds tokens matched before the pipeline (never split). Existing vocab entries keep their ids;
   * new ones get the next free ids. Returns how many new ids were created.
   */
  addTokens(tokens: readonly (string | (Partial<AddedToken> & { content: string }))[], special = false): number {
    let created = 0;
    for (const t of tokens) {
      const spec = typeof t === 'string' ? { content: t } : t;
      const existing = this.tokenToId(spec.content);
      const id = existing ?? this.vocabSize;
      if (existing === undefined) created++;
      const isSpecial = spec.special ?? special;
      this.tokenTable = null;
      this.added.add({
        id,
        content: spec.content,
        special: isSpecial,
        singleWord: spec.singleWord ?? false,
        lstrip: spec.lstrip ?? false,
        rstrip: spec.rstrip ?? false,
        normalized: spec.normalized ?? !isSpecial,
      });
    }
    return created;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    return this.encodeBatch([options.textPair === undefined ? text : [text, options.textPair]], { ...options, textPair: undefined })[0]!;
  }

  /** Encodes several texts or `[text, pair]` tuples; padding `'longest'` pads them to the same length. */
  encodeBatch(inputs: readonly BatchInput[], options: EncodeOptions = {}): Encoding[] {
    if (options.textPair !== undefined) throw new TokenizerError('encodeBatch: pass pairs as [text, pair] tuples, not options.textPair.');
    options = this.withDefaults(options);
    const addSpecial = options.addSpecialTokens ?? true;
    if (!Array.isArray(inputs)) throw new TokenizerError(`encodeBatch: inputs must be an array of strings or [text, pair] tuples, got ${describeValue(inputs)}.`);
    const datas = inputs.map((input: unknown) => {
      const isPair = Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string';
      if (typeof input !== 'string' && !isPair) throw new TokenizerError(`encode: inputs must be strings or [text, pair] string tuples, got ${describeValue(input)}.`);
      const [text, pair] = isPair ? (input as [string, string]) : [input as string, undefined];
      return this.encodeOne(text, pair, addSpecial, options);
    });
    if (options.padding || options.padToMultipleOf) need('padding', 'encode').pad(this, datas, options);
    return datas.map((d) => new Encoding(d, this.tokenOf));
  }

  /** Fills what a call leaves unset from the tokenizer's default truncation and padding. */
  private withDefaults(options: EncodeOptions): ResolvedEncodeOptions {
    const t = this.truncation;
    const p = this.padding;
    if ((!t || options.truncation !== undefined) && (!p || options.padding !== undefined)) return options;
    const out: ResolvedEncodeOptions = { ...options };
    if (t && options.truncation === undefined) need('truncation', 'encode').defaults(t, options, out);
    if (p && options.padding === undefined) need('padding', 'encode').defaults(p, options, out);
    return out;
  }

  private encodeOne(text: string, pair: string | undefined, addSpecial: boolean, options: ResolvedEncodeOptions): EncodingData {
    const a = new EncodingData();
    this.pipeline.encode(text, 0, 0, a);
    let b: EncodingData | null = null;
    if (pair !== undefined) {
      b = new EncodingData();
      this.pipeline.encode(pair, 1, 1, b);
    }
    if (options.truncation) need('truncation', 'encode').truncate(this, a, b, addSpecial, options);
    return postProcess(this.postProcessor, a, b, addSpecial, this.tokenOf);
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids == null || typeof (ids as Iterable<number>)[Symbol.iterator] !== 'function' || typeof ids === 'string') {
      throw new TokenizerError(`decode: ids must be an array of token ids, got ${describeValue(ids)}.`);
    }
    const tokens: string[] = [];
    for (const id of ids) {
      const added = this.added.byTokenId(id);
      if (added?.special && options.skipSpecialTokens) continue;
      const token = added?.content ?? this.model.idToToken(id);
      if (token !== undefined) tokens.push(token);
    }
    let text = this.decoder ? this.decoder.decodeChain(tokens).join('') : tokens.join(' ');
    if (options.cleanUpTokenizationSpaces ?? this.config.clean_up_tokenization_spaces ?? false) text = cleanUpTokenization(text);
    return text;
  }

  decodeBatch(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** Every word the model sees for `text` (after normalization and pre-tokenization). */
  preTokenize(text: string): string[] {
    const words: string[] = [];
    this.pipeline.forEachWord(text, (w) => words.push(w));
    return words;
  }

}

/**
 * tokenizer_config.json, checked: the fields the tokenizer reads, and with the serialization
 * feature (which writes the others back) the others too (config.ts).
 */
function configFromJSON(json: unknown, file = 'tokenizer_config.json'): TokenizerConfigJson {
  const f = Fields.of(json, new At(file));
  const config = readConfig(f);
  loadedFeature('serialization')?.checkConfig(f);
  return config;
}

/**
 * Ids of added tokens as Hugging Face assigns them when it reads tokenizer.json (in id order): the
 * model's id when the content is in its vocab, the first id when the content was added already
 * (the later entry's flags win), otherwise the next id after the vocab and the added tokens so
 * far; empty tokens are skipped. For well-formed files these are the ids the file states.
 */
function assignAddedIds(model: TokenizerModel, tokens: AddedToken[]): AddedToken[] {
  const vocabCount = model.getVocab().size;
  const assigned = new Map<string, number>();
  let max = -1;
  return [...tokens]
    .filter((t) => t.content.length > 0)
    .sort((a, b) => a.id - b.id)
    .map((t) => {
      const id = assigned.get(t.content) ?? model.tokenToId(t.content) ?? (max < 0 ? vocabCount : max >= vocabCount ? max + 1 : vocabCount);
      assigned.set(t.content, id);
      max = Math.max(max, id);
      return { ...t, id };
    });
}
