/**
 * Every family's `pretraining` registry facts: a fresh model from a config and a tokenizer, the
 * objective's examples from documents and its batches, a finite loss from the model on them, and
 * the same batch again from the same random state (what makes a resumed run exact).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, Random, type HfConfig, type ModelEntry, type PretrainedModel } from '@tfkit/core-tensor';
import { Tokenizer } from '@tfkit/tokenizers';
import { expectNoLeaks } from '@tfkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAll } from './register-all.js';

const registry = registerAll(createRegistry());

const DOCUMENTS = [
  ['the cat sat on the mat.', 'the dog ran to the park.', 'a bird sang in the tree.'],
  ['paris is the capital of france.', 'rome is the capital of italy.', 'berlin is the capital of germany.'],
  ['alice read a book in the garden.', 'bob played a game.', 'they went home at night.'],
];
const corpus = DOCUMENTS.flat().join('\n').repeat(4);

const tokenizers: Record<string, Tokenizer> = {};
beforeAll(async () => {
  tokenizers['wordpiece'] = await Tokenizer.train({ model: 'wordpiece', vocabSize: 200 }, [corpus]);
  tokenizers['bpe'] = await Tokenizer.train({ model: 'bpe', vocabSize: 300, specialTokens: ['<|endoftext|>'] }, [corpus]);
  tokenizers['bart'] = await Tokenizer.train({ model: 'bpe', vocabSize: 300, specialTokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'] }, [corpus]);
});

const SMALL = { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 };

/** The tiny config of a fresh `modelType` model: the common sizes through the family's attribute map. */
function tinyConfig(entry: ModelEntry, modelType: string, tokenizer: Tokenizer, extra: HfConfig = {}): HfConfig {
  const sizes = Object.fromEntries(Object.entries(SMALL).map(([k, v]) => [entry.attributeMap?.[k] ?? k, v]));
  return { ...entry.pretraining!.configFromTokenizer(tokenizer), ...sizes, ...extra, model_type: modelType };
}

describe.each([
  // model type, objective, tokenizer, extra config, the batch's inputs
  ['bert', 'mlm+nsp', 'wordpiece', { intermediate_size: 32 }, ['inputIds', 'attentionMask', 'tokenTypeIds', 'labels', 'nextSentenceLabel']],
  ['bert', 'mlm', 'wordpiece', { intermediate_size: 32 }, ['inputIds', 'attentionMask', 'tokenTypeIds', 'labels']],
  ['gpt2', 'causal', 'bpe', {}, ['inputIds', 'labels']],
  ['bart', 'denoise', 'bart', { encoder_ffn_dim: 32, decoder_ffn_dim: 32, decoder_layers: 1, decoder_attention_heads: 2 }, ['inputIds', 'attentionMask', 'labels', 'decoderInputIds']],
] as const)('%s pretraining with %s', (modelType, objective, tokenizerName, extra, keys) => {
  it('a fresh model learns from the objective’s batches (finite loss, gradients), leaving no tensors', async () => {
    const entry = registry.model.get(modelType);
    const tokenizer = tokenizers[tokenizerName]!;
    const config = tinyConfig(entry, modelType, tokenizer, extra);
    const spec = entry.pretraining!.objectives[objective]!;
    const rng = new Random(7);
    const data = spec.createData({ tokenizer, config, maxLength: 24, rng, options: {} });
    const examples = data.examples(DOCUMENTS);
    expect(examples.length).toBeGreaterThan(0);
    const state = rng.getState();
    const batch = data.collate(examples.slice(0, 4));
    rng.setState(state);
    expect(data.collate(examples.slice(0, 4))).toEqual(batch);
    expect(Object.keys(batch).sort()).toEqual([...keys].sort());
    for (const rows of Object.values(batch)) for (const row of rows as (number | number[])[]) if (Array.isArray(row)) expect(row.length).toBeLessThanOrEqual(24);
    await expectNoLeaks(async () => {
      const model = entry.pretraining!.createModel(config, { architecture: spec.architecture, seed: 1 }) as PretrainedModel & {
        forward(b: object): { loss?: tf.Scalar };
        trainableVariables(): tf.Variable[];
      };
      expect(model.architecture).toBe(spec.architecture);
      const inputs = Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, Array.isArray((v as unknown[])[0]) ? tf.tensor2d(v as number[][], undefined, 'int32') : tf.tensor1d(v as number[], 'int32')]));
      const { value, grads } = tf.variableGrads(() => model.forward(inputs).loss as tf.Scalar, model.trainableVariables());
      const loss = (await value.data())[0]!;
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0);
      expect(Object.keys(grads).length).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)]);
      model.dispose();
    });
  });
});

describe('what each objective makes', () => {
  it('mlm+nsp: [CLS] A [SEP] B [SEP] pairs of consecutive lines; labels −100 except at chosen tokens, which hold the original ids', () => {
    const entry = registry.model.get('bert');
    const tokenizer = tokenizers['wordpiece']!;
    const data = entry.pretraining!.objectives['mlm+nsp']!.createData({ tokenizer, config: {}, maxLength: 32, rng: new Random(3), options: { mlm_probability: '0.5' } });
    const examples = data.examples(DOCUMENTS) as { inputIds: number[]; nextSentenceLabel: number }[];
    expect(examples).toHaveLength(6); // two pairs per three-line document
    const cls = tokenizer.tokenToId('[CLS]');
    const sep = tokenizer.tokenToId('[SEP]');
    for (const ex of examples) {
      expect(ex.inputIds[0]).toBe(cls);
      expect(ex.inputIds.filter((id) => id === sep)).toHaveLength(2);
    }
    const batch = data.collate(examples) as { inputIds: number[][]; labels: number[][] };
    const padded = examples.map((e) => e.inputIds);
    let chosen = 0;
    batch.labels.forEach((row, r) => row.forEach((label, t) => {
      if (label === -100) return;
      chosen++;
      expect(label).toBe(padded[r]![t]);
    }));
    expect(chosen).toBeGreaterThan(0);
    expect(() => entry.pretraining!.objectives['mlm']!.createData({ tokenizer, config: {}, maxLength: 32, rng: new Random(1), options: { mlm_probability: '2' } })).toThrow(/mlm_probability must be a number in \[0, 1\]/);
  });

  it('causal: the documents end with the end-of-text token and are cut into windows of maxLength', () => {
    const tokenizer = tokenizers['bpe']!;
    const data = registry.model.get('gpt2').pretraining!.objectives['causal']!.createData({ tokenizer, config: {}, maxLength: 8, rng: new Random(1), options: {} });
    const windows = data.examples(DOCUMENTS) as number[][];
    const stream = DOCUMENTS.flatMap((doc) => [...doc.flatMap((line) => tokenizer.encode(`${line}\n`).ids), tokenizer.tokenToId('<|endoftext|>')!]);
    expect(windows).toEqual(Array.from({ length: Math.floor(stream.length / 8) }, (_, i) => stream.slice(i * 8, i * 8 + 8)));
    expect(data.collate(windows.slice(0, 2))).toEqual({ inputIds: windows.slice(0, 2), labels: windows.slice(0, 2) });
  });

  it('denoise: labels are <s> document </s>, inputs its noised copy; unknown settings are refused', () => {
    const tokenizer = tokenizers['bart']!;
    const spec = registry.model.get('bart').pretraining!.objectives['denoise']!;
    const config = registry.model.get('bart').pretraining!.configFromTokenizer(tokenizer);
    const data = spec.createData({ tokenizer, config, maxLength: 40, rng: new Random(5), options: { infill: '0.5', permute: '0' } });
    const docs = data.examples(DOCUMENTS) as number[][];
    const batch = data.collate(docs) as { inputIds: number[][]; labels: number[][] };
    const [bos, eos] = [tokenizer.tokenToId('<s>')!, tokenizer.tokenToId('</s>')!];
    docs.forEach((doc, i) => expect(batch.labels[i]!.filter((id) => id !== -100)).toEqual([bos, ...doc, eos]));
    expect(batch.inputIds.some((row, i) => row.join() !== batch.labels[i]!.map((id) => (id === -100 ? config['pad_token_id'] : id)).join())).toBe(true);
    expect(batch.inputIds.flat()).toContain(tokenizer.tokenToId('<mask>'));
    expect(() => spec.createData({ tokenizer, config, maxLength: 40, rng: new Random(5), options: { shuffle: '1' } })).toThrow(/unknown option shuffle/);
  });
});
