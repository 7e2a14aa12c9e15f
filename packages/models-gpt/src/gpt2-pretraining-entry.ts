/**
 * GPT-2's pretraining objective for the registry (`tfkit pretrain --objective causal`): next-token
 * prediction on the documents' tokens, each document followed by the end-of-text token and the
 * stream cut into windows of the context length (Hugging Face's `group_texts` in run_clm.py).
 */
import { ConfigError, type HfConfig, type PretrainingContext, type PretrainingData, type PretrainingEntry, type PretrainedModel } from '@tfkit/core-tensor';
import { gpt2ConfigFromHf } from './gpt2-config.js';
import { GPT2_ARCHITECTURES } from './gpt2-heads.js';

const EOS = '<|endoftext|>';

function causal({ tokenizer, maxLength }: PretrainingContext): PretrainingData<number[]> {
  const eos = tokenizer.eosTokenId ?? tokenizer.tokenToId(EOS);
  if (eos === undefined) throw new ConfigError(`GPT-2 pretraining: the tokenizer has no end-of-text token (${EOS}), which separates the documents; train a byte-level BPE tokenizer with it`);
  return {
    examples: (documents) => {
      const ids: number[] = [];
      for (const doc of documents) {
        for (const line of doc) ids.push(...tokenizer.encode(`${line}\n`, { addSpecialTokens: false }).ids);
        ids.push(eos);
      }
      // Whole windows only, as group_texts drops the remainder; a text shorter than one window is one example.
      if (ids.length <= maxLength) return ids.length > 1 ? [ids] : [];
      const windows: number[][] = [];
      for (let i = 0; i + maxLength <= ids.length; i += maxLength) windows.push(ids.slice(i, i + maxLength));
      return windows;
    },
    // Labels are the inputs: the model shifts them (position t predicts t + 1). Windows of one length need no padding.
    collate: (examples) => {
      const length = Math.min(...examples.map((e) => e.length));
      const rows = examples.map((e) => e.slice(0, length));
      return { inputIds: rows, labels: rows };
    },
  };
}

/** GPT-2's entry in the registry's `pretraining` facts. */
export function gpt2Pretraining(): PretrainingEntry {
  return {
    objectives: {
      causal: { description: 'next-token prediction (causal language modelling) on windows of the text', architecture: 'GPT2LMHeadModel', createData: causal },
    },
    dropoutKeys: ['resid_pdrop', 'embd_pdrop', 'attn_pdrop'],
    configFromTokenizer: (tokenizer): HfConfig => {
      const eos = tokenizer.eosTokenId ?? tokenizer.tokenToId(EOS) ?? null;
      return { vocab_size: tokenizer.vocabSize, bos_token_id: tokenizer.bosTokenId ?? eos, eos_token_id: eos };
    },
    createModel: (config, { architecture, seed }): PretrainedModel => {
      const cls = GPT2_ARCHITECTURES[architecture as keyof typeof GPT2_ARCHITECTURES];
      if (!cls) throw new ConfigError(`GPT-2 pretraining: no architecture "${architecture}"; known: ${Object.keys(GPT2_ARCHITECTURES).join(', ')}`);
      return new cls(gpt2ConfigFromHf(config), { seed, hfConfig: config }) as unknown as PretrainedModel;
    },
  };
}
