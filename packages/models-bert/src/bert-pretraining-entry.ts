/**
 * BERT's pretraining objectives for the registry (`tfkit pretrain`): masked language modelling with
 * next sentence prediction (BertForPreTraining, Devlin et al. 2019 §3.1), or masked language
 * modelling alone (BertForMaskedLM), on documents whose lines are sentences.
 */
import { ConfigError, type HfConfig, type PretrainingContext, type PretrainingData, type PretrainingEntry, type PretrainingTokenizer, type PretrainedModel } from '@tfkit/core-tensor';
import { bertConfigFromHf } from './bert-config.js';
import { BERT_ARCHITECTURES } from './bert-heads.js';
import { buildNspPairs, DataCollatorForLanguageModeling, type PretrainingExample } from './bert-pretraining.js';

function tokenId(tokenizer: PretrainingTokenizer, role: number | undefined, token: string): number {
  const id = role ?? tokenizer.tokenToId(token);
  if (id === undefined) throw new ConfigError(`BERT pretraining: the tokenizer has no ${token} token; train a WordPiece tokenizer (its special tokens are [PAD], [UNK], [CLS], [SEP], [MASK])`);
  return id;
}

function probability(options: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const raw = options[key];
  if (raw === undefined) return fallback;
  const p = Number(raw);
  if (raw.trim() === '' || !(p >= 0 && p <= 1)) throw new ConfigError(`BERT pretraining: ${key} must be a number in [0, 1], got "${raw}"`);
  return p;
}

function masker({ tokenizer, rng, options }: PretrainingContext): DataCollatorForLanguageModeling {
  const cls = tokenId(tokenizer, tokenizer.clsTokenId, '[CLS]');
  const sep = tokenId(tokenizer, tokenizer.sepTokenId, '[SEP]');
  const pad = tokenId(tokenizer, tokenizer.padTokenId, '[PAD]');
  const unk = tokenizer.unkTokenId ?? tokenizer.tokenToId('[UNK]');
  return new DataCollatorForLanguageModeling({
    maskTokenId: tokenId(tokenizer, tokenizer.maskTokenId, '[MASK]'),
    vocabSize: tokenizer.vocabSize,
    specialTokenIds: [cls, sep, pad, ...(unk === undefined ? [] : [unk])],
    padTokenId: pad,
    mlmProbability: probability(options, 'mlm_probability', 0.15),
    rng,
  });
}

const encode = (tokenizer: PretrainingTokenizer) => (text: string) => tokenizer.encode(text, { addSpecialTokens: false }).ids;

function mlmAndNsp(context: PretrainingContext): PretrainingData<PretrainingExample> {
  const mlm = masker(context);
  const { tokenizer, maxLength, rng, options } = context;
  return {
    examples: (documents) =>
      buildNspPairs(documents, {
        maxLength, rng, tokenize: encode(tokenizer),
        clsTokenId: tokenId(tokenizer, tokenizer.clsTokenId, '[CLS]'), sepTokenId: tokenId(tokenizer, tokenizer.sepTokenId, '[SEP]'),
        nextSentenceProbability: probability(options, 'next_sentence_probability', 0.5),
      }),
    collate: (examples) => ({ ...mlm.collate(examples) }),
  };
}

/** `[CLS] … [SEP]` windows of the documents' tokens, each document's lines run together. */
function mlmOnly(context: PretrainingContext): PretrainingData<PretrainingExample> {
  const mlm = masker(context);
  const { tokenizer, maxLength } = context;
  const cls = tokenId(tokenizer, tokenizer.clsTokenId, '[CLS]');
  const sep = tokenId(tokenizer, tokenizer.sepTokenId, '[SEP]');
  return {
    examples: (documents) =>
      documents.flatMap((doc) => {
        const ids = doc.flatMap(encode(tokenizer));
        const windows: PretrainingExample[] = [];
        for (let i = 0; i < ids.length; i += maxLength - 2) windows.push({ inputIds: [cls, ...ids.slice(i, i + maxLength - 2), sep] });
        return windows;
      }),
    collate: (examples) => ({ ...mlm.collate(examples) }),
  };
}

/** BERT's entry in the registry's `pretraining` facts. */
export function bertPretraining(): PretrainingEntry {
  const mlmOptions = { mlm_probability: 'share of tokens chosen for prediction (default 0.15)' };
  return {
    objectives: {
      'mlm+nsp': {
        description: 'masked language modelling and next sentence prediction (sentence pairs from consecutive lines)',
        architecture: 'BertForPreTraining',
        options: { ...mlmOptions, next_sentence_probability: 'share of pairs whose second sentence really follows (default 0.5)' },
        createData: mlmAndNsp,
      },
      mlm: { description: 'masked language modelling on windows of the text', architecture: 'BertForMaskedLM', options: mlmOptions, createData: mlmOnly },
    },
    dropoutKeys: ['hidden_dropout_prob', 'attention_probs_dropout_prob'],
    configFromTokenizer: (tokenizer): HfConfig => ({ vocab_size: tokenizer.vocabSize, pad_token_id: tokenizer.padTokenId ?? tokenizer.tokenToId('[PAD]') ?? 0 }),
    createModel: (config, { architecture, seed }): PretrainedModel => {
      const cls = BERT_ARCHITECTURES[architecture as keyof typeof BERT_ARCHITECTURES];
      if (!cls) throw new ConfigError(`BERT pretraining: no architecture "${architecture}"; known: ${Object.keys(BERT_ARCHITECTURES).join(', ')}`);
      return new cls(bertConfigFromHf(config), { seed, hfConfig: config }) as unknown as PretrainedModel;
    },
  };
}
