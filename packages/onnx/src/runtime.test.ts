import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, pipeline, type PretrainedModel } from '@tfkit/core-tensor';
import { registerBert } from '@tfkit/models-bert';
import { registerViT } from '@tfkit/models-vit';
import { fixturePath, withBackend } from '@tfkit/test-utils';
import { wordPieceFromVocab } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntimeMissingError } from './errors.js';
import { exportOnnx } from './export.js';
import { registerOnnxRuntime, type OnnxRuntimePackage } from './runtime.js';
import { loadOrt } from './test/ort.js';

const WORDS = 'the a is was of to in paris london france capital city dog cat sat mat happy sad good bad big small river king queen'.split(' ');

let tmp: string;
/** Checkpoint folder (safetensors + tokenizer) and its ONNX export, per fixture. */
const dirs: Record<string, { checkpoint: string; onnx: string }> = {};

async function prepare(fixture: string, architecture: string): Promise<void> {
  const checkpoint = path.join(tmp, fixture);
  fs.mkdirSync(checkpoint, { recursive: true });
  for (const file of ['config.json', 'model.safetensors']) fs.copyFileSync(fixturePath('models', fixture, file), path.join(checkpoint, file));
  if (fixture.startsWith('vit')) {
    await finish(fixture, checkpoint, architecture);
    return;
  }
  const tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', ',', '?', ...WORDS];
  for (let i = 0; tokens.length < 1000; i++) tokens.push(`[unused${i}]`);
  await wordPieceFromVocab(new Map(tokens.map((t, i) => [t, i])), { model_max_length: 64, do_lower_case: true }).savePretrained(checkpoint);
  await finish(fixture, checkpoint, architecture);
}

async function finish(fixture: string, checkpoint: string, architecture: string, externalData = false): Promise<void> {
  const registry = registerViT(registerBert(createRegistry()));
  const model = await AutoModel.fromPretrained<PretrainedModel>(checkpoint, { registry, architecture });
  const key = `${fixture}:${architecture}${externalData ? ':external' : ''}`;
  const onnx = path.join(tmp, key.replace(/:/g, '-'));
  await exportOnnx(model, onnx, { registry, copyFrom: checkpoint, externalData });
  model.dispose();
  dirs[key] = { checkpoint, onnx };
}

const available: OnnxRuntimePackage[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-runtime-'));
  await withBackend('cpu', async () => {
    await prepare('bert-sequence-classification', 'BertForSequenceClassification');
    await prepare('bert-for-pretraining', 'BertForMaskedLM');
    await prepare('bert-question-answering', 'BertForQuestionAnswering');
    await finish('bert-question-answering', path.join(tmp, 'bert-question-answering'), 'BertModel');
    await finish('bert-sequence-classification', path.join(tmp, 'bert-sequence-classification'), 'BertForSequenceClassification', true);
    await prepare('vit-image-classification', 'ViTForImageClassification');
  });
  for (const runtime of ['web', 'node'] as const) {
    const ort = await loadOrt(runtime);
    if (typeof ort === 'string') console.warn(`skipped onnxruntime-${runtime} pipelines: ${ort}`);
    else available.push(`onnxruntime-${runtime}`);
  }
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Pipe = { call(...args: unknown[]): Promise<unknown>; dispose(): void };

/** Numbers in two results (same structure) differ by at most `atol`; everything else is equal. */
function expectClose(actual: unknown, expected: unknown, atol: number, at = 'result'): void {
  if (typeof expected === 'number') {
    expect(Math.abs((actual as number) - expected), at).toBeLessThan(atol);
  } else if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, at).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, atol, `${at}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), at).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, atol, `${at}.${k}`);
  } else {
    expect(actual, at).toEqual(expected);
  }
}

describe('pipeline() on an exported ONNX folder (registerOnnxRuntime)', () => {
  const image = (seed: number) => ({ width: 40, height: 36, data: Uint8Array.from({ length: 40 * 36 * 3 }, (_, i) => (i * seed) % 251) });
  const cases: [string, string, unknown[]][] = [
    ['text-classification', 'bert-sequence-classification:BertForSequenceClassification', [['the dog sat on the mat', 'paris is the capital of france .', 'sad'], { topK: null }]],
    ['text-classification', 'bert-sequence-classification:BertForSequenceClassification:external', [['the dog sat on the mat', 'sad'], { topK: null }]],
    ['fill-mask', 'bert-for-pretraining:BertForMaskedLM', [['paris is the [MASK] of france .', 'the [MASK] sat']]],
    ['question-answering', 'bert-question-answering:BertForQuestionAnswering', [{ question: 'what is the capital of france ?', context: 'paris is the capital of france . london is a big city .' }]],
    ['feature-extraction', 'bert-question-answering:BertModel', [['the king sat', 'a big river in the city'], { pooling: 'mean' }]],
    ['image-classification', 'vit-image-classification:ViTForImageClassification', [[image(7), image(13)], { topK: null }]],
  ];

  it.each(cases)('%s on %s gives what the tfkit model gives, in every installed ONNX Runtime', async (task, fixture, args) => {
    await withBackend('cpu', async () => {
      const { checkpoint, onnx } = dirs[fixture] as { checkpoint: string; onnx: string };
      const arch = fixture.split(':')[1] as string;
      const ours = (await pipeline(task, checkpoint, { registry: registerViT(registerBert(createRegistry())), architecture: arch })) as unknown as Pipe;
      const want = await ours.call(...args);
      ours.dispose();
      expect(available.length).toBeGreaterThan(0);
      for (const runtime of available) {
        const registry = registerOnnxRuntime(registerViT(registerBert(createRegistry())), { runtime });
        const before = tf.memory().numTensors;
        const pipe = (await pipeline(task, onnx, { registry })) as unknown as Pipe & { model: { onnxRuntime: string } };
        expect(pipe.model.onnxRuntime).toBe(runtime);
        const got = await pipe.call(...args);
        expectClose(got, want, 1e-4, `${task} ${runtime}`);
        pipe.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    });
  }, 120_000);

  it('the config is read, not built: a config.json of a 300M-parameter model costs no weights', async () => {
    const { onnx } = dirs['bert-sequence-classification:BertForSequenceClassification'] as { onnx: string };
    const big = path.join(tmp, 'big-config');
    fs.cpSync(onnx, big, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(big, 'config.json'), 'utf8')) as Record<string, unknown>;
    // BERT-large's sizes: tfkit would refuse to initialise that many weights without a checkpoint.
    Object.assign(config, { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, vocab_size: 30522 });
    fs.writeFileSync(path.join(big, 'config.json'), JSON.stringify(config));
    await withBackend('cpu', async () => {
      const registry = registerOnnxRuntime(registerBert(createRegistry()), { runtime: available[0] });
      const before = tf.memory().numTensors;
      const pipe = (await pipeline('text-classification', big, { registry })) as unknown as Pipe & { model: { config: { hiddenSize: number } } };
      expect(tf.memory().numTensors).toBe(before);
      expect(pipe.model.config.hiddenSize).toBe(1024);
      expect(await pipe.call('the dog sat')).toEqual([{ label: expect.any(String), score: expect.any(Number) }]);
      pipe.dispose();
    });
  });

  it('a checkpoint folder still loads in tfkit when the plugin is registered', async () => {
    await withBackend('cpu', async () => {
      const registry = registerOnnxRuntime(registerBert(createRegistry()));
      const pipe = (await pipeline('text-classification', dirs['bert-sequence-classification:BertForSequenceClassification']?.checkpoint, { registry })) as unknown as Pipe & { model: object };
      expect(pipe.model).not.toHaveProperty('onnxRuntime');
      pipe.dispose();
    });
  });

  it('a runtime that is not installed is an OnnxRuntimeMissingError naming the package to install', async () => {
    await withBackend('cpu', async () => {
      const registry = registerOnnxRuntime(registerBert(createRegistry()), { runtime: 'onnxruntime-not-installed' as OnnxRuntimePackage });
      const attempt = pipeline('text-classification', dirs['bert-sequence-classification:BertForSequenceClassification']?.onnx, { registry });
      await expect(attempt).rejects.toThrow(OnnxRuntimeMissingError);
      await expect(pipeline('text-classification', dirs['bert-sequence-classification:BertForSequenceClassification']?.onnx, { registry })).rejects.toThrow(/pnpm add onnxruntime-not-installed/);
    });
  });
});
