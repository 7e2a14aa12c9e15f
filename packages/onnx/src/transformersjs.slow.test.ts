/**
 * transformers.js (`@huggingface/transformers`, installed with its install scripts skipped) loads
 * folders written by `exportOnnx` from a local path, with remote models off, and gives tfkit's
 * outputs: GPT-2 logits and greedy ids (its own generate loop over the exported model with past),
 * the `text-generation` pipeline on the embedded tiny GPT-2, BERT's head logits, and BART's greedy
 * ids through its own seq2seq loop over encoder_model + decoder_model_merged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors, type PretrainedModel } from '@tfkit/core-tensor';
import { registerBart } from '@tfkit/models-bart';
import { registerBert } from '@tfkit/models-bert';
import { registerGpt2, type GPT2LMHeadModel } from '@tfkit/models-gpt';
import { expectAllClose, fixturePath, readFixtureJson, repoRootDir, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';

type Ids = number[][];
type TjsTensor = { dims: number[]; data: Float32Array | BigInt64Array; tolist(): unknown };
type TjsModel = ((inputs: Record<string, unknown>) => Promise<Record<string, TjsTensor>>) & {
  generate(options: Record<string, unknown>): Promise<TjsTensor>;
  dispose(): Promise<void>;
};

const tjs = await import('@huggingface/transformers');
const registry = registerBart(registerBert(registerGpt2(createRegistry())));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-transformersjs-'));
const tinyGpt2 = path.join(repoRootDir, 'packages/all/assets/tiny-gpt2');

function int64(rows: Ids): unknown {
  return new tjs.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0]?.length ?? 0]);
}

const toIds = (t: TjsTensor): Ids => (t.tolist() as bigint[][]).map((r) => r.map(Number));

async function closeTo(actual: TjsTensor, reference: tf.Tensor, label: string): Promise<void> {
  expect(actual.dims, label).toEqual(reference.shape);
  await withBackend('cpu', () => {
    const t = tf.tensor(actual.data as Float32Array, actual.dims);
    expectAllClose(t, reference, { label, atol: 1e-4 });
    t.dispose();
  });
}

/** Loads a checkpoint into tfkit and exports it under `root/<name>` (tokenizer and generation files copied). */
async function exported<T extends PretrainedModel>(source: string, name: string, withPast: boolean): Promise<T> {
  return withBackend('cpu', async () => {
    const model = await AutoModel.fromPretrained<T>(source, { registry });
    await exportOnnx(model, path.join(root, name), { registry, withPast, copyFrom: source });
    return model;
  });
}

beforeAll(() => {
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = root;
  tjs.env.useFSCache = false;
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('transformers.js runs tfkit\'s GPT-2 export', () => {
  interface Inputs {
    left_padded: { input_ids: Ids; attention_mask: Ids; position_ids: Ids };
    generate: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> };
    generate_early_eos: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> };
  }
  const inputs = readFixtureJson<Inputs>('models', 'gpt2-lm', 'inputs.json');
  const expectedJson = readFixtureJson<Record<'generate' | 'generate_early_eos', { sequences: Ids }>>('models', 'gpt2-lm', 'expected.json');
  let model: GPT2LMHeadModel;
  let tjsModel: TjsModel;
  let expected: Map<string, tf.Tensor>;

  beforeAll(async () => {
    model = await exported<GPT2LMHeadModel>(fixturePath('models', 'gpt2-lm'), 'gpt2-lm', true);
    expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', 'gpt2-lm', 'expected.safetensors')), 'gpt2-lm').tensors;
    tjsModel = (await tjs.AutoModelForCausalLM.from_pretrained('gpt2-lm', { dtype: 'fp32', device: 'cpu' })) as unknown as TjsModel;
  }, 120_000);

  afterAll(async () => {
    await tjsModel?.dispose();
    await withBackend('cpu', () => {
      model?.dispose();
      tf.dispose([...(expected?.values() ?? [])]);
    });
  });

  it('a left-padded batch: logits within 1e-4 of tfkit and Hugging Face (position ids derived from the mask by transformers.js)', async () => {
    const { input_ids, attention_mask, position_ids } = inputs.left_padded;
    const out = await tjsModel({ input_ids: int64(input_ids), attention_mask: int64(attention_mask) });
    await closeTo(out['logits'] as TjsTensor, expected.get('left_padded.logits') as tf.Tensor, 'vs Hugging Face');
    const tfkit = await withBackend('cpu', () => model.forward({ inputIds: input_ids, attentionMask: attention_mask, positionIds: position_ids }));
    await closeTo(out['logits'] as TjsTensor, tfkit.logits, 'vs tfkit');
    await withBackend('cpu', () => tf.dispose(tfkit as unknown as tf.TensorContainer));
  }, 120_000);

  it.each(['generate', 'generate_early_eos'] as const)('%s: transformers.js generate gives tfkit\'s greedy ids', async (scenario) => {
    const { input_ids, attention_mask, _generation_config: g } = inputs[scenario];
    const sequences = await tjsModel.generate({
      inputs: int64(input_ids), attention_mask: int64(attention_mask),
      max_new_tokens: g['max_new_tokens'], do_sample: false, num_beams: 1, eos_token_id: g['eos_token_id'], pad_token_id: g['pad_token_id'],
    });
    const tfkit = await withBackend('cpu', () => model.generate(input_ids, {
      attentionMask: attention_mask, maxNewTokens: g['max_new_tokens'] as number, eosTokenId: g['eos_token_id'] as number,
      padTokenId: g['pad_token_id'] as number, bosTokenId: g['bos_token_id'] as number, doSample: false, numBeams: 1,
    }));
    // transformers.js keeps sampling for rows that already emitted eos (its greedy loop does not pad
    // finished rows yet), so rows are compared up to their first new eos; tfkit pads after it, as Hugging Face.
    const prompt = input_ids[0]?.length ?? 0;
    const untilEos = (rows: Ids) => rows.map((r) => {
      const eos = r.indexOf(g['eos_token_id'] as number, prompt);
      return eos === -1 ? r : r.slice(0, eos + 1);
    });
    expect(untilEos(toIds(sequences))).toEqual(untilEos(tfkit.sequences));
    expect(tfkit.sequences).toEqual(expectedJson[scenario].sequences);
    if (scenario === 'generate') expect(toIds(sequences)).toEqual(tfkit.sequences);
    else expect(untilEos(tfkit.sequences)[0]?.length).toBeLessThan(tfkit.sequences[0]?.length ?? 0);
  }, 120_000);

  it('pipeline("text-generation", folder) on the embedded tiny GPT-2 continues a prompt as tfkit does', async () => {
    const tiny = await exported<GPT2LMHeadModel>(tinyGpt2, 'tiny-gpt2', true);
    try {
      const generator = (await tjs.pipeline('text-generation', 'tiny-gpt2', { dtype: 'fp32', device: 'cpu' })) as unknown as
        ((text: string, options: Record<string, unknown>) => Promise<{ generated_text: string }[]>) & {
          tokenizer: { encode(text: string): number[]; decode(ids: number[], options?: Record<string, unknown>): string };
          dispose(): Promise<void>;
        };
      try {
        const prompt = 'Emma was';
        const [result] = await generator(prompt, { max_new_tokens: 12, do_sample: false });
        const ids = generator.tokenizer.encode(prompt);
        const tfkit = await withBackend('cpu', () => tiny.generate([ids], { maxNewTokens: 12, doSample: false, numBeams: 1 }));
        const tfkitIds = tfkit.sequences[0] as number[];
        expect(tfkitIds.length).toBeGreaterThan(ids.length);
        expect(result?.generated_text).toBe(generator.tokenizer.decode(tfkitIds, { skip_special_tokens: true }));
      } finally {
        await generator.dispose();
      }
    } finally {
      await withBackend('cpu', () => tiny.dispose());
    }
  }, 180_000);
});

describe('transformers.js runs tfkit\'s BERT export', () => {
  const heads = [
    ['bert-sequence-classification', 'AutoModelForSequenceClassification', ['logits']],
    ['bert-token-classification', 'AutoModelForTokenClassification', ['logits']],
    ['bert-question-answering', 'AutoModelForQuestionAnswering', ['start_logits', 'end_logits']],
  ] as const;

  it.each(heads)('%s through %s: outputs within 1e-4 of Hugging Face and tfkit', async (name, autoClass, outputs) => {
    const model = await exported<PretrainedModel & { forward(i: unknown): Record<string, tf.Tensor> }>(fixturePath('models', name), name, false);
    const expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', name, 'expected.safetensors')), name).tensors;
    const tjsModel = (await (tjs[autoClass] as { from_pretrained(id: string, o: object): Promise<unknown> }).from_pretrained(name, { dtype: 'fp32', device: 'cpu' })) as TjsModel;
    try {
      const f = readFixtureJson<Record<string, Record<string, Ids>>>('models', name, 'inputs.json')['forward'] as Record<string, Ids>;
      const feeds: Record<string, unknown> = { input_ids: int64(f['input_ids'] as Ids), attention_mask: int64(f['attention_mask'] as Ids) };
      if (f['token_type_ids']) feeds['token_type_ids'] = int64(f['token_type_ids']);
      const out = await tjsModel(feeds);
      const tfkit = await withBackend('cpu', () => model.forward({ inputIds: f['input_ids'], attentionMask: f['attention_mask'], tokenTypeIds: f['token_type_ids'] }));
      for (const key of outputs) {
        await closeTo(out[key] as TjsTensor, expected.get(key) as tf.Tensor, `${name} ${key} vs Hugging Face`);
        const camel = key.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
        await closeTo(out[key] as TjsTensor, tfkit[camel] as tf.Tensor, `${name} ${key} vs tfkit`);
      }
      await withBackend('cpu', () => tf.dispose(tfkit as unknown as tf.TensorContainer));
    } finally {
      await tjsModel.dispose();
      await withBackend('cpu', () => {
        model.dispose();
        tf.dispose([...expected.values()]);
      });
    }
  }, 120_000);
});

describe('transformers.js runs tfkit\'s BART export (encoder_model + decoder_model_merged)', () => {
  it('generate gives tfkit\'s greedy ids', async () => {
    const name = 'bart-conditional-generation';
    const model = await exported<PretrainedModel & { generate(ids: Ids, o: object): Promise<{ sequences: Ids }> }>(fixturePath('models', name), name, true);
    const tjsModel = (await tjs.AutoModelForSeq2SeqLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' })) as unknown as TjsModel;
    try {
      const { input_ids, attention_mask, _generation_config: g } = readFixtureJson<Record<string, { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> }>>('models', name, 'inputs.json')['generate_greedy']!;
      const sequences = await tjsModel.generate({ inputs: int64(input_ids), attention_mask: int64(attention_mask), max_new_tokens: g['max_new_tokens'], do_sample: false, num_beams: 1 });
      const tfkit = await withBackend('cpu', () => model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: g['max_new_tokens'], doSample: false, numBeams: 1 }));
      expect(toIds(sequences)).toEqual(tfkit.sequences);
      expect(tfkit.sequences).toEqual(readFixtureJson<Record<string, { sequences: Ids }>>('models', name, 'expected.json')['generate_greedy']?.sequences);
    } finally {
      await tjsModel.dispose();
      await withBackend('cpu', () => model.dispose());
    }
  }, 120_000);
});
