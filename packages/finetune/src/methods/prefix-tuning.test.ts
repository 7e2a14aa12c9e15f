import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ToyAttentionClassifier } from '../testing/toy-attention.js';
import { toyCollator, toyDataset } from '../testing/toy.js';
import { Trainer } from '../train/trainer.js';
import { PrefixTuningModel } from './prefix-tuning.js';

const config = { numVirtualTokens: 3, numLayers: 2, numAttentionHeads: 2, tokenDim: 8 };

function batch() {
  const b = toyCollator(toyDataset(4, 5).toArray());
  const mask = tf.cast(tf.notEqual(b['inputIds'] as tf.Tensor, 0), 'int32');
  return { ...b, attentionMask: mask };
}

describe('prefix tuning', () => {
  it('feeds PEFT-laid-out prefixes as past keys/values with an extended mask', async () => {
    const base = new ToyAttentionClassifier();
    const model = new PrefixTuningModel(base, config);
    expect(model.namedParameters({ trainableOnly: true }).map(([n, p]) => [n, p.shape])).toEqual([['prompt_encoder.default.embedding.weight', [3, 2 * 2 * 8]]]);
    const b = batch();
    await expectNoLeaks(() => {
      const got = (model.forward(b) as { logits: tf.Tensor }).logits;
      // By hand: layer i's key = columns (2i)·8 … (2i+1)·8 of the table, split into 2 heads of 4.
      const expected = tf.tidy(() => {
        const table = model.encoder.embedding.weight.value;
        const kv = (col: number) => tf.tile(tf.expandDims(tf.transpose(tf.reshape(tf.slice(table, [0, col * 8], [3, 8]), [3, 2, 4]), [1, 0, 2]), 0), [4, 1, 1, 1]) as tf.Tensor4D;
        const past = [0, 1].map((i) => ({ key: kv(2 * i), value: kv(2 * i + 1) }));
        const mask = tf.concat([tf.ones([4, 3], 'int32'), b.attentionMask], 1);
        return base.forward({ ...b, attentionMask: mask, pastKeyValues: past }).logits;
      });
      expectAllClose(got, expected, { atol: 1e-6 });
      const plain = base.forward(b).logits;
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, plain))).dataSync()[0])).toBeGreaterThan(1e-3);
      [got, expected, plain].forEach((t) => t.dispose());
    });
    Object.values(b).forEach((t) => t.dispose());
    model.dispose();
  });

  it('with prefix projection and a trained head (PEFT SEQ_CLS), learns the task; saves and reloads', async () => {
    const base = new ToyAttentionClassifier({ dim: 16, heads: 4 });
    const model = new PrefixTuningModel(base, { ...config, tokenDim: 16, numAttentionHeads: 4, prefixProjection: true, encoderHiddenSize: 12, numVirtualTokens: 4, modulesToSave: ['classifier'] });
    expect(model.namedParameters({ trainableOnly: true }).map(([n]) => n)).toEqual([
      'base_model.classifier.weight', 'base_model.classifier.bias', 'prompt_encoder.default.embedding.weight', 'prompt_encoder.default.transform.0.weight', 'prompt_encoder.default.transform.0.bias',
      'prompt_encoder.default.transform.2.weight', 'prompt_encoder.default.transform.2.bias',
    ]);
    const frozen = Array.from(base.layer.at(0).query.weight.value.dataSync());
    const prefix0 = Array.from(model.encoder.embedding.weight.value.dataSync());
    const trainer = new Trainer({ model, trainDataset: toyDataset(64, 1), evalDataset: toyDataset(32, 2), collator: toyCollator, batchSize: 8, epochs: 5, learningRate: 0.01 });
    const before = await trainer.evaluate();
    await trainer.train();
    const after = await trainer.evaluate();
    expect(after['eval_loss']).toBeLessThan((before['eval_loss'] as number) * 0.9);
    expect(Array.from(base.layer.at(0).query.weight.value.dataSync())).toEqual(frozen);
    expect(Array.from(model.encoder.embedding.weight.value.dataSync())).not.toEqual(prefix0);
    trainer.optimizer.dispose();

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-prefix-'));
    await model.saveAdapter(dir);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(json).toMatchObject({ peft_type: 'PREFIX_TUNING', num_virtual_tokens: 4, num_layers: 2, num_attention_heads: 4, token_dim: 16, prefix_projection: true, encoder_hidden_size: 12, num_transformer_submodules: 1 });
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'adapter_model.safetensors'))));
    expect(Object.fromEntries([...tensors].map(([k, t]) => [k, t.shape]))).toEqual({ prompt_embeddings: [4, 64], 'base_model.classifier.weight': [2, 16], 'base_model.classifier.bias': [2] });
    tensors.forEach((t) => t.dispose());
    const reloaded = await PrefixTuningModel.load(base, dir);
    const b = batch();
    const x = (model.forward(b) as { logits: tf.Tensor }).logits;
    const y = (reloaded.forward(b) as { logits: tf.Tensor }).logits;
    expectAllClose(y, x, { atol: 1e-5 });
    [x, y, ...Object.values(b)].forEach((t) => t.dispose());
    await fs.rm(dir, { recursive: true });
    model.dispose();
    reloaded.encoder.dispose();
  });
});
