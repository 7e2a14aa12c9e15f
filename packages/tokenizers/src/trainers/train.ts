/**
 * `Tokenizer.train`: count the words of a corpus with the target pipeline's normalizer and
 * pre-tokenizer, learn BPE merges (byte-level GPT-2 style) or a WordPiece vocab (BERT style: BPE
 * merges with `##` continuation pieces, as Hugging Face's WordPieceTrainer does), and assemble a
 * complete tokenizer that saves to a tokenizer.json Hugging Face loads.
 */
import { AddedVocabulary, type AddedToken } from '../added-vocabulary.js';
import { asciiToByteLevel, byteLevelAlphabet, isAscii, toByteLevel } from '../byte-level.js';
import { ByteLevelDecoder, WordPieceDecoder } from '../decoders/decoders.js';
import { TokenizerError } from '../errors.js';
import { BPE } from '../models/bpe.js';
import { WordPiece } from '../models/wordpiece.js';
import { BertNormalizer, Lowercase, NormalizerSequence, UnicodeNormalizer, type Normalizer } from '../normalizers/normalizers.js';
import { Pipeline } from '../pipeline.js';
import { BertPreTokenizer, ByteLevelPreTokenizer, WhitespacePreTokenizer, type PreTokenizer } from '../pre-tokenizers/pre-tokenizers.js';
import { ByteLevelProcessor, parseTemplate, TemplateProcessing } from '../processors/processors.js';
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
}

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
  if (wordPiece) {
    const has = (t: string) => specials.includes(t);
    const cls = has('[CLS]') ? '[CLS]' : undefined;
    const sep = has('[SEP]') ? '[SEP]' : undefined;
    const post =
      cls && sep
        ? new TemplateProcessing(parseTemplate(`${cls}:0 $A:0 ${sep}:0`), parseTemplate(`${cls}:0 $A:0 ${sep}:0 $B:1 ${sep}:1`), new Map([
            [cls, { id: cls, ids: [vocab.get(cls)!], tokens: [cls] }],
            [sep, { id: sep, ids: [vocab.get(sep)!], tokens: [sep] }],
          ]))
        : null;
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
    postProcessor: byteLevel ? new ByteLevelProcessor(false) : null,
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
