// BART checkpoints trained and saved by tfkit, loaded the way Hugging Face transformers loads them
// (test/bart_reference.py: transformers' BART module trees in plain PyTorch, strict state_dict
// loading with the tied aliases re-tied) and run in PyTorch: the logits must match tfkit's. Needs
// Debian's python3-torch, which .ci/run installs; outside CI, without it, skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { DataCollatorForBartDenoising } from './bart-denoising.js';
import { BartForConditionalGeneration, BartForSequenceClassification } from './bart-heads.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/bart_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const run = hasTorch || process.env['CI'] ? it : it.skip;

const NAME = 'bart-conditional-generation';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bart-reference-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Ids = number[][];
interface ForwardInputs { input_ids: Ids; attention_mask: Ids; decoder_input_ids?: Ids; decoder_attention_mask?: Ids }

function referenceLogits(dir: string, inputs: ForwardInputs): number[][][] | number[][] {
  const file = path.join(tmp, 'inputs.json');
  fs.writeFileSync(file, JSON.stringify(inputs));
  const out = spawnSync(PYTHON, [SCRIPT, dir, file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bart_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  return (JSON.parse(out.stdout) as { logits: number[][][] | number[][] }).logits;
}

function tfkitLogits(model: BartForConditionalGeneration | BartForSequenceClassification, inputs: ForwardInputs) {
  return tf.tidy(() => model.forward({
    inputIds: inputs.input_ids, attentionMask: inputs.attention_mask,
    ...(inputs.decoder_input_ids ? { decoderInputIds: inputs.decoder_input_ids } : {}),
    ...(inputs.decoder_attention_mask ? { decoderAttentionMask: inputs.decoder_attention_mask } : {}),
  }).logits.arraySync() as number[][][] | number[][]);
}

/** Random documents of 5–12 tokens from [4, vocab). */
function documents(n: number, vocab: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: 5 + rng.int(8) }, () => 4 + rng.int(vocab - 4)));
}

/** Adam steps on a denoising batch, so every weight moves away from where it started. */
async function trainSteps(model: BartForConditionalGeneration, steps: number, seed: number): Promise<void> {
  const batch = new DataCollatorForBartDenoising({ maskTokenId: 3, seed, noise: { textInfilling: { probability: 0.3 }, sentencePermutation: { fullStopIds: [4] } } })
    .collate(documents(6, model.config.vocabSize, seed));
  const optimizer = tf.train.adam(0.01);
  model.train();
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(() => model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, labels: batch.labels }).loss!, false, model.trainableVariables());
  }
  model.eval();
  optimizer.dispose();
}

const maxDiff = (a: number[] | number[][] | number[][][], b: typeof a) => {
  const fa = (a as number[]).flat(2) as number[];
  const fb = (b as number[]).flat(2) as number[];
  return Math.max(...fa.map((v, i) => Math.abs(v - fb[i]!)));
};

describe('tfkit-saved BART checkpoints in PyTorch', () => {
  run('the reference reproduces Hugging Face on the fixture, and a fine-tuned, saved fixture model gives tfkit\'s logits', async () => {
    const inputs = readFixtureJson<{ forward: ForwardInputs }>('models', NAME, 'inputs.json').forward;
    const expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', NAME, 'expected.safetensors')), NAME).tensors;
    expectAllClose(referenceLogits(fixturePath('models', NAME), inputs) as number[][][], expected.get('logits')!, { atol: 1e-4, label: 'reference vs fixture' });
    tf.dispose([...expected.values()]);

    const model = await BartForConditionalGeneration.fromPretrained(fixturePath('models', NAME));
    const before = tfkitLogits(model, inputs);
    await expectNoLeaks(() => trainSteps(model, 5, 1), 'training');
    const after = tfkitLogits(model, inputs);
    expect(maxDiff(after, before)).toBeGreaterThan(0.05);
    const dir = path.join(tmp, 'fine-tuned');
    await model.savePretrained(dir);
    expectAllClose(referenceLogits(dir, inputs) as number[][][], after as number[][][], { atol: 1e-4, label: 'fine-tuned' });
    model.dispose();
  });

  run('fresh models with other configs: scaled embeddings, relu, 3/1 layers, an untied LM head; a sequence classifier', async () => {
    const config = {
      vocabSize: 50, maxPositionEmbeddings: 24, dModel: 24, encoderLayers: 3, decoderLayers: 1, encoderAttentionHeads: 3, decoderAttentionHeads: 2,
      encoderFfnDim: 40, decoderFfnDim: 16, activationFunction: 'relu', scaleEmbedding: true, initStd: 0.15,
    };
    const inputs: ForwardInputs = {
      input_ids: [[0, 9, 14, 33, 4, 21, 2, 1], [0, 45, 12, 2, 1, 1, 1, 1]],
      attention_mask: [[1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0, 0]],
      decoder_input_ids: [[2, 0, 9, 14, 33], [2, 0, 45, 12, 2]],
      decoder_attention_mask: [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]],
    };
    const lm = new BartForConditionalGeneration({ ...config, tieWordEmbeddings: false }, { seed: 7 });
    await trainSteps(lm, 4, 2);
    const lmDir = path.join(tmp, 'fresh-lm');
    await lm.savePretrained(lmDir);
    const names = [...safetensorsToTensors(fs.readFileSync(path.join(lmDir, 'model.safetensors')), 'fresh').tensors].map(([n, t]) => (t.dispose(), n));
    expect(names).toContain('lm_head.weight');
    expectAllClose(referenceLogits(lmDir, inputs) as number[][][], tfkitLogits(lm, inputs) as number[][][], { atol: 1e-4, label: 'untied lm' });
    lm.dispose();

    const classifier = new BartForSequenceClassification({ ...config, id2label: { 0: 'no', 1: 'yes' } }, { seed: 8 });
    const batch = { inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, labels: [1, 0] };
    const optimizer = tf.train.adam(0.01);
    classifier.train();
    for (let i = 0; i < 4; i++) optimizer.minimize(() => classifier.forward(batch).loss!, false, classifier.trainableVariables());
    classifier.eval();
    optimizer.dispose();
    const clsDir = path.join(tmp, 'fresh-classifier');
    await classifier.savePretrained(clsDir);
    const clsInputs = { input_ids: inputs.input_ids, attention_mask: inputs.attention_mask };
    expectAllClose(referenceLogits(clsDir, clsInputs) as number[][], tfkitLogits(classifier, clsInputs) as number[][], { atol: 1e-4, label: 'classifier' });
    classifier.dispose();
  });
});
