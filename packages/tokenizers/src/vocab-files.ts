/**
 * The older plain tokenizer formats converted the way transformers' slow→fast converters build
 * them: vocab.json + merges.txt (GPT-2, RoBERTa, BART byte-level BPE) and vocab.txt (BERT WordPiece).
 */
import type { AddedToken } from './added-vocabulary.js';
import { SNAKE, specialTokensFromConfig, SPECIAL_TOKEN_ROLES, tokenizerConfigFromJSON, type ConfigToken, type SpecialTokenRole, type TokenizerConfigJson } from './config.js';
import { ByteLevelDecoder } from './decoders/byte-level.js';
import { WordPieceDecoder } from './decoders/decoders.js';
import { TokenizerError } from './errors.js';
import { At, quote } from './json-reader.js';
import { BPE } from './models/bpe.js';
import type { TokenizerModel } from './models/model.js';
import { WordPiece } from './models/wordpiece.js';
import { BertNormalizer } from './normalizers/normalizers.js';
import { ByteLevelPreTokenizer } from './pre-tokenizers/byte-level.js';
import { BertPreTokenizer } from './pre-tokenizers/pre-tokenizers.js';
import { ByteLevelProcessor } from './processors/byte-level.js';
import { bertTemplates, TemplateProcessing } from './processors/processors.js';
import { RobertaProcessing } from './processors/roberta.js';
import { Tokenizer } from './tokenizer.js';

/** Names of the plain-format files (paths or URLs), used in error messages. */
export interface PlainFiles {
  vocab?: string;
  merges?: string;
  config?: string;
}

/** The config's special tokens as added tokens, using vocab ids (or new ids after the vocab). */
function specialAddedTokens(model: TokenizerModel, config: TokenizerConfigJson, defaults: Partial<Record<(typeof SPECIAL_TOKEN_ROLES)[number], string>>): AddedToken[] {
  const roles = { ...defaults, ...specialTokensFromConfig(config) };
  const out = new Map<string, AddedToken>();
  let next = model.vocabSize;
  const add = (content: string, opts: Partial<AddedToken>) => {
    if (out.has(content)) return;
    const id = model.tokenToId(content) ?? next++;
    out.set(content, { id, content, special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false, ...opts });
  };
  for (const role of SPECIAL_TOKEN_ROLES) {
    const content = roles[role];
    if (content !== undefined) add(content, configTokenOptions(config, role));
  }
  for (const content of roles.additionalSpecialTokens ?? []) add(content, {});
  for (const [id, t] of Object.entries(config.added_tokens_decoder ?? {})) {
    if (!out.has(t.content)) {
      out.set(t.content, {
        id: Number(id),
        content: t.content,
        special: t.special ?? false,
        singleWord: t.single_word ?? false,
        lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false,
        normalized: t.normalized ?? !(t.special ?? false),
      });
    }
  }
  return [...out.values()];
}

const ROBERTA_LIKE = /^(Roberta|Bart|Longformer|LED|Mvp|Blenderbot|Markuplm)/i;

/** GPT-2 / RoBERTa / BART style byte-level BPE from vocab.json + merges.txt; `files` name them in errors. */
export function byteLevelBpeFromVocab(vocab: Record<string, number>, merges: [string, string][], config: TokenizerConfigJson = {}, files: PlainFiles = {}): Tokenizer {
  const vocabFile = files.vocab ?? 'vocab.json';
  config = tokenizerConfigFromJSON(config, new At(files.config ?? 'tokenizer_config.json'));
  const model = new BPE(vocab, { merges }, { vocab: new At(vocabFile), merges: new At(files.merges ?? 'merges.txt', 'merges') });
  const addPrefixSpace = config.add_prefix_space ?? false;
  const roberta = ROBERTA_LIKE.test(config.tokenizer_class ?? '');
  const defaults = roberta ? { bosToken: '<s>', eosToken: '</s>', sepToken: '</s>', clsToken: '<s>', unkToken: '<unk>', padToken: '<pad>', maskToken: '<mask>' } : {};
  const added = specialAddedTokens(model, config, defaults);
  if (roberta) {
    const mask = added.find((t) => t.content === (specialTokensFromConfig(config).maskToken ?? '<mask>'));
    if (mask && typeof config.mask_token !== 'object') mask.lstrip = true;
  }
  const id = (t: string) => model.tokenToId(t) ?? added.find((a) => a.content === t)?.id;
  let postProcessor;
  if (roberta) {
    const sep = specialTokensFromConfig(config).sepToken ?? '</s>';
    const cls = specialTokensFromConfig(config).clsToken ?? '<s>';
    const sepId = id(sep);
    const clsId = id(cls);
    if (sepId === undefined || clsId === undefined) throw new TokenizerError(`${vocabFile}: ${quote(sep)} or ${quote(cls)} is missing, needed by ${quote(config.tokenizer_class ?? '')}.`);
    postProcessor = new RobertaProcessing([sep, sepId], [cls, clsId], true, addPrefixSpace);
  } else postProcessor = new ByteLevelProcessor(false);
  return new Tokenizer({
    model,
    preTokenizer: new ByteLevelPreTokenizer({ addPrefixSpace, trimOffsets: true }),
    postProcessor,
    decoder: new ByteLevelDecoder(),
    addedTokens: added,
    config,
  });
}

/** BERT-style WordPiece from vocab.txt, with the config's lower-casing and accent flags; `files` name them in errors. */
export function wordPieceFromVocab(vocab: Map<string, number>, config: TokenizerConfigJson = {}, files: PlainFiles = {}): Tokenizer {
  const vocabFile = files.vocab ?? 'vocab.txt';
  config = tokenizerConfigFromJSON(config, new At(files.config ?? 'tokenizer_config.json'));
  const roles = { unkToken: '[UNK]', sepToken: '[SEP]', padToken: '[PAD]', clsToken: '[CLS]', maskToken: '[MASK]', ...specialTokensFromConfig(config) };
  const model = new WordPiece(vocab, { unkToken: roles.unkToken, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }, new At(vocabFile));
  const added = specialAddedTokens(model, config, roles);
  const id = (t: string) => model.tokenToId(t) ?? added.find((a) => a.content === t)?.id;
  const cls = roles.clsToken;
  const sep = roles.sepToken;
  const clsId = id(cls);
  const sepId = id(sep);
  if (clsId === undefined || sepId === undefined) throw new TokenizerError(`${vocabFile}: ${quote(cls)} or ${quote(sep)} is missing from the vocab.`);
  const special = new Map([
    [cls, { id: cls, ids: [clsId], tokens: [cls] }],
    [sep, { id: sep, ids: [sepId], tokens: [sep] }],
  ]);
  return new Tokenizer({
    model,
    normalizer: new BertNormalizer({
      cleanText: true,
      handleChineseChars: config.tokenize_chinese_chars ?? true,
      stripAccents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    }),
    preTokenizer: new BertPreTokenizer(),
    postProcessor: new TemplateProcessing(...bertTemplates(cls, sep), special),
    decoder: new WordPieceDecoder('##', true),
    addedTokens: added,
    config,
  });
}

/** The config's special tokens as added-token options (for the plain vocab formats). */
function configTokenOptions(config: TokenizerConfigJson, role: SpecialTokenRole): Partial<AddedToken> {
  const t = config[SNAKE[role]] as ConfigToken | undefined;
  if (t == null || typeof t === 'string') return {};
  return { lstrip: t.lstrip ?? false, rstrip: t.rstrip ?? false, singleWord: t.single_word ?? false };
}
