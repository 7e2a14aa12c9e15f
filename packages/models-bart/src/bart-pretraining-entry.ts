/**
 * BART's pretraining objective for the registry (`tfkit pretrain --objective denoise`): restore
 * documents corrupted by the paper's noising schemes (Lewis et al. 2020 §2.2) — token masking,
 * token deletion, text infilling, sentence permutation, document rotation — with
 * BartForConditionalGeneration.
 */
import { ConfigError, type HfConfig, type PretrainingContext, type PretrainingData, type PretrainingEntry, type PretrainingTokenizer, type PretrainedModel } from '@tfkit/core-tensor';
import { bartConfigFromHf } from './bart-config.js';
import { DataCollatorForBartDenoising, type BartNoiseConfig } from './bart-denoising.js';
import { BART_ARCHITECTURES } from './bart-heads.js';

const NOISE_OPTIONS = {
  mask: 'token masking: share of tokens replaced by <mask> (default off)',
  delete: 'token deletion: share of tokens removed (default off)',
  infill: 'text infilling: share of tokens in spans replaced by one <mask> each (default 0.3)',
  lambda: 'text infilling: mean span length, Poisson λ (default 3)',
  permute: '1: shuffle the sentences of each document (default 1)',
  rotate: '1: rotate each document to start at a random token (default 0)',
} as const;

function share(options: Readonly<Record<string, string>>, key: string): number | undefined {
  const raw = options[key];
  if (raw === undefined) return undefined;
  const p = Number(raw);
  if (raw.trim() === '' || !(p >= 0 && p <= 1)) throw new ConfigError(`BART denoising: ${key} must be a number in [0, 1], got "${raw}"`);
  return p;
}

function flag(options: Readonly<Record<string, string>>, key: string, fallback: boolean): boolean {
  const raw = options[key];
  if (raw === undefined) return fallback;
  if (!['0', '1', 'true', 'false'].includes(raw)) throw new ConfigError(`BART denoising: ${key} must be 0 or 1, got "${raw}"`);
  return raw === '1' || raw === 'true';
}

/** Ids of the tokens that end a sentence, however the tokenizer spells a full stop. */
function fullStops(tokenizer: PretrainingTokenizer): number[] {
  const ids = new Set<number>();
  for (const text of ['.', ' .', 'a.', 'a .', '!', '?', 'a!', 'a?']) {
    const last = tokenizer.encode(text, { addSpecialTokens: false }).ids.at(-1);
    if (last !== undefined) ids.add(last);
  }
  return [...ids];
}

function noiseConfig(tokenizer: PretrainingTokenizer, options: Readonly<Record<string, string>>): BartNoiseConfig {
  const unknown = Object.keys(options).filter((k) => !(k in NOISE_OPTIONS));
  if (unknown.length) throw new ConfigError(`BART denoising: unknown option ${unknown.join(', ')}; known: ${Object.keys(NOISE_OPTIONS).join(', ')}`);
  const mask = share(options, 'mask');
  const del = share(options, 'delete');
  const infill = share(options, 'infill') ?? 0.3;
  const lambda = options['lambda'] === undefined ? 3 : Number(options['lambda']);
  return {
    ...(flag(options, 'permute', true) ? { sentencePermutation: { fullStopIds: fullStops(tokenizer) } } : {}),
    ...(mask ? { tokenMasking: { probability: mask } } : {}),
    ...(del ? { tokenDeletion: { probability: del } } : {}),
    ...(infill > 0 ? { textInfilling: { probability: infill, poissonLambda: lambda } } : {}),
    ...(flag(options, 'rotate', false) ? { documentRotation: true } : {}),
  };
}

function role(tokenizer: PretrainingTokenizer, id: number | undefined, token: string): number {
  const found = id ?? tokenizer.tokenToId(token);
  if (found === undefined) throw new ConfigError(`BART denoising: the tokenizer has no ${token} token; train one with the special tokens <s>, <pad>, </s>, <unk>, <mask>`);
  return found;
}

function denoise({ tokenizer, config, maxLength, rng, options }: PretrainingContext): PretrainingData<number[]> {
  const collator = new DataCollatorForBartDenoising({
    maskTokenId: role(tokenizer, tokenizer.maskTokenId, '<mask>'),
    padTokenId: role(tokenizer, tokenizer.padTokenId, '<pad>'),
    bosTokenId: role(tokenizer, tokenizer.bosTokenId, '<s>'),
    eosTokenId: role(tokenizer, tokenizer.eosTokenId, '</s>'),
    decoderStartTokenId: typeof config['decoder_start_token_id'] === 'number' ? config['decoder_start_token_id'] : role(tokenizer, tokenizer.eosTokenId, '</s>'),
    noise: noiseConfig(tokenizer, options),
    maxLength,
    rng,
  });
  const room = maxLength - 2;
  return {
    // Each document's lines in one token stream, cut into pieces that fit with <s> and </s>.
    examples: (documents) =>
      documents.flatMap((doc) => {
        const ids = doc.flatMap((line) => tokenizer.encode(` ${line}`, { addSpecialTokens: false }).ids);
        const pieces: number[][] = [];
        for (let i = 0; i < ids.length; i += room) pieces.push(ids.slice(i, i + room));
        return pieces;
      }),
    collate: (examples) => ({ ...collator.collate(examples) }),
  };
}

/** BART's entry in the registry's `pretraining` facts. */
export function bartPretraining(): PretrainingEntry {
  return {
    objectives: {
      denoise: { description: 'restore documents from noised copies (text infilling and sentence permutation by default)', architecture: 'BartForConditionalGeneration', options: NOISE_OPTIONS, createData: denoise },
    },
    dropoutKeys: ['dropout', 'attention_dropout', 'activation_dropout'],
    configFromTokenizer: (tokenizer): HfConfig => {
      const ids = { pad: role(tokenizer, tokenizer.padTokenId, '<pad>'), bos: role(tokenizer, tokenizer.bosTokenId, '<s>'), eos: role(tokenizer, tokenizer.eosTokenId, '</s>') };
      return { vocab_size: tokenizer.vocabSize, pad_token_id: ids.pad, bos_token_id: ids.bos, eos_token_id: ids.eos, decoder_start_token_id: ids.eos, forced_eos_token_id: ids.eos };
    },
    createModel: (config, { architecture, seed }): PretrainedModel => {
      const cls = BART_ARCHITECTURES[architecture as keyof typeof BART_ARCHITECTURES];
      if (!cls) throw new ConfigError(`BART pretraining: no architecture "${architecture}"; known: ${Object.keys(BART_ARCHITECTURES).join(', ')}`);
      return new cls(bartConfigFromHf(config), { seed, hfConfig: config }) as unknown as PretrainedModel;
    },
  };
}
