/**
 * `Tokenizer.train`: count the words of a corpus with the target pipeline's normalizer and
 * pre-tokenizer, learn BPE merges (byte-level GPT-2 style) or a WordPiece vocab (BERT style: BPE
 * merges with `##` continuation pieces, as Hugging Face's WordPieceTrainer does), and assemble a
 * complete tokenizer that saves to a tokenizer.json Hugging Face loads.
 */
import { AddedVocabulary, type AddedToken } from '../added-vocabulary.js';
import { asciiToByteLevel, byteLevelAlphabet, isAscii, toByteLevel } from '../byte-level.js';
import { ByteLevelDecoder } from '../decoders/byte-level.js';
import { WordPieceDecoder } from '../decoders/decoders.js';
import { TokenizerError } from '../errors.js';
import { BPE } from '../models/bpe.js';
import { WordPiece } from '../models/wordpiece.js';
import { BertNormalizer, Lowercase, NormalizerSequence, UnicodeNormalizer, type Normalizer } from '../normalizers/normalizers.js';
import { Pipeline } from '../pipeline.js';
import { ByteLevelPreTokenizer } from '../pre-tokenizers/byte-level.js';
import { BertPreTokenizer, WhitespacePreTokenizer, type PreTokenizer } from '../pre-tokenizers/pre-tokenizers.js';
import { ByteLevelProcessor } from '../processors/byte-level.js';
import { parseTemplate, TemplateProcessing, type PostProcessor, type TemplatePiece, type TemplateSpecialToken } from '../processors/processors.js';
import { RobertaProcessing } from '../processors/roberta.js';
import type { Tokenizer, TokenizerParts } from '../tokenizer.js';
import { trainBpe } from './bpe-trainer.js';

export interface TrainOptions {
  model: 'bpe' | 'wordpiece';
  /** Final vocab size, special tokens included. Default 30000. */
  vocabSize?: number;
  /** Pairs seen fewer times are never merged. Default 2. */
  minFrequency?: number;
  /** Default `['<|endoftext|>']` (BPE) or `['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']` (WordPiece). */
  specialTokens?: string[];
  /** BPE over UTF-8 bytes with GPT-2's pre-tokenizer (default true for BPE): no unknown tokens ever. */
  byteLevel?: boolean;
  /** Lowercase (default false for BPE, true for WordPiece). */
  lowercase?: boolean;
  /** WordPiece: strip accents (default: follows `lowercase`). */
  stripAccents?: boolean;
  /** Apply Unicode NFC first (BPE only; default false). */
  nfc?: boolean;
  /** Byte-level: give the first word a leading space (RoBERTa style). Default false. */
  addPrefixSpace?: boolean;
  /** Keep at most this many distinct characters in the initial alphabet. */
  limitAlphabet?: number;
  /** Longest token (in characters) a merge may create. */
  maxTokenLength?: number;
  /** Written as `model_max_length` in tokenizer_config.json. */
  modelMaxLength?: number;
  /**
   * The special tokens `encode` adds, saved in tokenizer.json (default: `'bert'` for WordPiece when
   * `[CLS]` and `[SEP]` are special tokens, none for BPE). See `TrainPostProcessor`.
   */
  postProcessor?: TrainPostProcessor;
}

/**
 * The post-processor of a trained tokenizer. Every token it names must be one of `specialTokens`.
 * - `'bert'`: `[CLS] $A [SEP]`, pairs `[CLS] $A [SEP] $B:1 [SEP]:1` (type id 1 for the second text).
 * - `'roberta'`: `<s> $A </s>`, pairs `<s> $A </s> </s> $B </s>` (RoBERTa, BART), offsets trimmed
 *   off spaces as RoBERTa's post-processor does.
 * - `'none'`: nothing added.
 * - `{ type: 'TemplateProcessing', single, pair? }`: Hugging Face's template syntax (`$A`, `$B`,
 *   `:1` for a type id). Without `pair`: `single` followed by `$B:1` and the tokens that follow `$A`
 *   in `single` (type id 1), so `[CLS] $A [SEP]` pairs as BERT does.
 */
export type TrainPostProcessor = 'bert' | 'roberta' | 'none' | { type: 'TemplateProcessing'; single: string; pair?: string };

export interface TrainProgress {
  /** `count`: reading the corpus (`done` characters so far); `merge`: learning merges. */
  phase: 'count' | 'merge';
  done: number;
  total?: number;
}

export type TrainCorpus = string | Iterable<string> | AsyncIterable<string>;

function buildPipeline(options: TrainOptions): { normalizer: Normalizer | null; preTokenizer: PreTokenizer; byteLevel: boolean } {
  if (options.model === 'wordpiece') {
    const lowercase = options.lowercase ?? true;
    return {
      normalizer: new BertNormalizer({ lowercase, stripAccents: options.stripAccents ?? null, cleanText: true, handleChineseChars: true }),
      preTokenizer: new BertPreTokenizer(),
      byteLevel: false,
    };
  }
  const byteLevel = options.byteLevel ?? true;
  const steps: Normalizer[] = [];
  if (options.nfc) steps.push(new UnicodeNormalizer('NFC'));
  if (options.lowercase) steps.push(new Lowercase());
  const normalizer = steps.length === 0 ? null : steps.length === 1 ? steps[0]! : new NormalizerSequence(steps);
  const preTokenizer = byteLevel ? new ByteLevelPreTokenizer({ addPrefixSpace: options.addPrefixSpace ?? false, useRegex: true, trimOffsets: true }) : new WhitespacePreTokenizer();
  return { normalizer, preTokenizer, byteLevel };
}

async function* chunks(corpus: TrainCorpus): AsyncGenerator<string> {
  if (typeof corpus === 'string') yield corpus;
  else if (Symbol.asyncIterator in corpus) for await (const t of corpus) yield t;
  else for (const t of corpus) yield t;
}

/** The pair template `single` implies: `single`, then `$B:1` and the tokens after `$A` with type id 1. */
function defaultPair(single: readonly TemplatePiece[]): TemplatePiece[] {
  const a = single.findIndex((p) => p.kind === 'sequence');
  const after = single.slice(a + 1).map((p) => ({ ...p, typeId: 1 }));
  return [...single, { kind: 'sequence', id: 'B', typeId: 1 }, ...after];
}

/** The requested post-processor over the trained vocab; `null` for none, `undefined` for the model's default. */
function buildPostProcessor(option: TrainPostProcessor | undefined, specials: readonly string[], vocab: ReadonlyMap<string, number>, addPrefixSpace: boolean): PostProcessor | null | undefined {
  if (option === undefined) return undefined;
  if (option === 'none') return null;
  const idOf = (token: string, why: string): number => {
    const id = specials.includes(token) ? vocab.get(token) : undefined;
    if (id === undefined) throw new TokenizerError(`Tokenizer.train: postProcessor ${why} uses ${JSON.stringify(token)}, which is not among specialTokens (${specials.map((t) => JSON.stringify(t)).join(', ') || 'none'}); add it to specialTokens.`);
    return id;
  };
  if (option === 'roberta') return new RobertaProcessing(['</s>', idOf('</s>', "'roberta'")], ['<s>', idOf('<s>', "'roberta'")], true, addPrefixSpace);
  let single: TemplatePiece[];
  let pair: TemplatePiece[];
  if (option === 'bert') {
    single = parseTemplate('[CLS]:0 $A:0 [SEP]:0');
    pair = parseTemplate('[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1');
  } else if (typeof option === 'object' && option !== null && option.type === 'TemplateProcessing' && typeof option.single === 'string') {
    single = parseTemplate(option.single);
    pair = option.pair === undefined ? defaultPair(single) : parseTemplate(option.pair);
  } else {
    throw new TokenizerError(`Tokenizer.train: postProcessor must be 'bert', 'roberta', 'none' or { type: 'TemplateProcessing', single, pair? }, got ${JSON.stringify(option)}.`);
  }
  const tokens = new Map<string, TemplateSpecialToken>();
  for (const piece of [...single, ...pair]) {
    if (piece.kind === 'special' && !tokens.has(piece.id)) tokens.set(piece.id, { id: piece.id, ids: [idOf(piece.id, 'template')], tokens: [piece.id] });
  }
  return new TemplateProcessing(single, pair, tokens);
}

/** Trains a new tokenizer; see `TrainOptions`. Deterministic: the same corpus gives the same vocab. */
export async function trainTokenizer(
  make: (parts: TokenizerParts) => Tokenizer,
  options: TrainOptions,
  corpus: TrainCorpus,
  callbacks: { onProgress?: (p: TrainProgress) => void } = {},
): Promise<Tokenizer> {
  if (options.model !== 'bpe' && options.model !== 'wordpiece') throw new TokenizerError(`Tokenizer.train: model must be 'bpe' or 'wordpiece', got ${JSON.stringify(options.model)}.`);
  const wordPiece = options.model === 'wordpiece';
  const specials = options.specialTokens ?? (wordPiece ? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] : ['<|endoftext|>']);
  const vocabSize = options.vocabSize ?? 30000;
  if (!Number.isInteger(vocabSize) || vocabSize < specials.length) throw new TokenizerError(`Tokenizer.train: vocabSize must be an integer ≥ the number of special tokens (${specials.length}), got ${vocabSize}.`);
  const { normalizer, preTokenizer, byteLevel } = buildPipeline(options);
  // A bad postProcessor option fails now, not after training (special tokens come first in the vocab).
  buildPostProcessor(options.postProcessor, specials, new Map(specials.map((t, i) => [t, i])), false);
  const specialTokens: AddedToken[] = specials.map((content, id) => ({ id, content, special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false }));
  const pipeline = new Pipeline(normalizer, preTokenizer, null, new AddedVocabulary(specialTokens));

  // 1. Word counts (special tokens in the text are skipped, not learned).
  const wordCounts = new Map<string, number>();
  const count = (w: string) => wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  let read = 0;
  for await (const text of chunks(corpus)) {
    if (typeof text !== 'string') throw new TokenizerError(`Tokenizer.train: the corpus must yield strings, got ${typeof text}.`);
    pipeline.forEachWord(text, count);
    read += text.length;
    callbacks.onProgress?.({ phase: 'count', done: read });
  }

  // 2. Merges over model characters (bytes shown as GPT-2's byte characters when byte-level).
  const words: string[] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(byteLevel ? (isAscii(w) ? asciiToByteLevel(w) : toByteLevel(w).mapped) : w);
    counts.push(c);
  }
  const unk = wordPiece ? (specials.find((s) => /unk/i.test(s)) ?? '[UNK]') : byteLevel ? null : (specials.find((s) => /unk/i.test(s)) ?? null);
  if (wordPiece && !specials.includes(unk!)) throw new TokenizerError(`Tokenizer.train: WordPiece needs an unknown token among specialTokens (e.g. '[UNK]').`);
  const { vocab, merges } = trainBpe(words, counts, {
    vocabSize,
    minFrequency: options.minFrequency ?? 2,
    specialTokens: specials,
    initialAlphabet: byteLevel ? byteLevelAlphabet() : [],
    limitAlphabet: options.limitAlphabet,
    continuingSubwordPrefix: wordPiece ? '##' : undefined,
    maxTokenLength: options.maxTokenLength,
    onProgress: (done, total) => callbacks.onProgress?.({ phase: 'merge', done, total }),
  });

  // 3. The tokenizer around the learned model.
  const config = {
    model_max_length: options.modelMaxLength ?? (wordPiece ? 512 : 1024),
    clean_up_tokenization_spaces: wordPiece,
    ...(wordPiece ? { do_lower_case: options.lowercase ?? true, tokenizer_class: 'BertTokenizerFast' } : { tokenizer_class: 'PreTrainedTokenizerFast' }),
  };
  const requested = buildPostProcessor(options.postProcessor, specials, vocab, options.addPrefixSpace ?? false);
  if (wordPiece) {
    const has = (t: string) => specials.includes(t);
    const post = requested !== undefined ? requested : has('[CLS]') && has('[SEP]') ? buildPostProcessor('bert', specials, vocab, false)! : null;
    return make({
      model: new WordPiece(vocab, { unkToken: unk!, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }),
      normalizer,
      preTokenizer,
      postProcessor: post,
      decoder: new WordPieceDecoder('##', true),
      addedTokens: specialTokens,
      config: { ...config, ...rolesFor(specials) },
    });
  }
  return make({
    model: new BPE(vocab, { merges, unkToken: unk }),
    normalizer,
    preTokenizer,
    postProcessor: requested !== undefined ? requested : byteLevel ? new ByteLevelProcessor(false) : null,
    decoder: byteLevel ? new ByteLevelDecoder() : null,
    addedTokens: specialTokens,
    config: { ...config, ...rolesFor(specials) },
  });
}

/** tokenizer_config.json roles for conventional special-token spellings. */
function rolesFor(specials: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (role: string, t: string) => {
    if (specials.includes(t) && out[role] === undefined) out[role] = t;
  };
  for (const [t, roles] of [
    ['[PAD]', ['pad_token']], ['<pad>', ['pad_token']], ['[UNK]', ['unk_token']], ['<unk>', ['unk_token']], ['[CLS]', ['cls_token']], ['[SEP]', ['sep_token']],
    ['[MASK]', ['mask_token']], ['<mask>', ['mask_token']], ['<s>', ['bos_token', 'cls_token']], ['</s>', ['eos_token', 'sep_token']], ['<|endoftext|>', ['bos_token', 'eos_token', 'unk_token']],
  ] as const) for (const role of roles) set(role, t);
  return out;
}
