import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, CheckpointError, createRegistry, loadCheckpoint, safetensorsToTensors, type Checkpoint } from '@tfkit/core-tensor';
import { sinusoidalPositionEncoding, StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { registerSeq2Seq } from './seq2seq-register.js';
import { Transformer } from './transformer-model.js';
import { SEPARATE_VOCABULARIES, TINY_TRANSFORMER, TRANSFORMER_BATCH } from './transformer-test-utils.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-transformer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const { inputIds, attentionMask, labels } = TRANSFORMER_BATCH;
const logits = (m: Transformer) => tf.tidy(() => m.forward({ inputIds, attentionMask, labels }).logits.arraySync());
const savedNames = (dir: string) => {
  const { tensors } = safetensorsToTensors(fs.readFileSync(path.join(dir, 'model.safetensors')), dir);
  const names = [...tensors.keys()].sort();
  tf.dispose([...tensors.values()]);
  return names;
};
const readJson = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;

/** A model whose weights are away from their initial values (a few Adam steps; the bias buffer set by hand). */
function trained(config: typeof TINY_TRANSFORMER, seed: number): Transformer {
  const model = new Transformer({ ...config, dropout: 0.1 }, { seed });
  const optimizer = tf.train.adam(0.02);
  model.train();
  for (let i = 0; i < 3; i++) optimizer.minimize(() => model.forward({ inputIds, attentionMask, labels }).loss!, false, model.trainableVariables());
  model.eval();
  optimizer.dispose();
  model.final_logits_bias.variable.assign(tf.tidy(() => tf.randomNormal(model.final_logits_bias.shape, 0, 0.5, 'float32', seed)));
  return model;
}

/** The checkpoint at `dir` with its weights changed by `edit`. */
async function editedCheckpoint(dir: string, edit: (weights: Map<string, tf.Tensor>) => void): Promise<Checkpoint> {
  const checkpoint = await loadCheckpoint(dir);
  edit(checkpoint.weights);
  return checkpoint;
}

describe('Transformer save → load (Marian checkpoints)', () => {
  it('shared vocabulary, tied projection: the table stored once as model.shared.weight, no position tables; the same logits and ids after loading', async () => {
    const model = trained(TINY_TRANSFORMER, 1);
    const dir = path.join(tmp, 'shared');
    await expectNoLeaks(async () => {
      await model.savePretrained(dir);
      const loaded = await Transformer.fromPretrained(dir);
      expectAllClose(logits(loaded), logits(model), { atol: 0 });
      const options = { attentionMask, maxNewTokens: 5, numBeams: 2 };
      expect((await loaded.generate(inputIds, options)).sequences).toEqual((await model.generate(inputIds, options)).sequences);
      expect(loaded.loadReport).toEqual({ missing: [], unexpected: [], mismatched: [] });
      expect(loaded.lm_head.weight).toBe(loaded.model.shared!.weight);
      loaded.dispose();
    }, 'save and load');
    const names = savedNames(dir);
    expect(names).toContain('model.shared.weight');
    expect(names).toContain('final_logits_bias');
    expect(names.filter((n) => /embed_tokens|embed_positions|lm_head/.test(n))).toEqual([]);
    expect(names).toHaveLength(2 + 2 * 16 + 2 * 26);
    expect(readJson(dir, 'config.json')).toMatchObject({
      architectures: ['MarianMTModel'], model_type: 'marian', vocab_size: 20, decoder_vocab_size: 20, share_encoder_decoder_embeddings: true, tie_word_embeddings: true,
      d_model: 16, encoder_layers: 2, decoder_attention_heads: 2, scale_embedding: true, activation_function: 'relu', pad_token_id: 0, decoder_start_token_id: 1,
    });
    expect(readJson(dir, 'generation_config.json')).toMatchObject({ _from_model_config: true, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, decoder_start_token_id: 1 });
    model.dispose();
  });

  it('separate vocabularies, untied projection: two tables and lm_head.weight; AutoModel builds a Transformer through registerSeq2Seq', async () => {
    const model = trained(SEPARATE_VOCABULARIES, 2);
    const dir = path.join(tmp, 'separate');
    await model.savePretrained(dir);
    const names = savedNames(dir);
    for (const name of ['model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight', 'lm_head.weight']) expect(names).toContain(name);
    expect(names.filter((n) => n.startsWith('model.shared'))).toEqual([]);
    expect(readJson(dir, 'config.json')).toMatchObject({ vocab_size: 20, decoder_vocab_size: 13, share_encoder_decoder_embeddings: false, tie_word_embeddings: false });
    const registry = registerSeq2Seq(createRegistry());
    await expectNoLeaks(async () => {
      const auto = await AutoModel.fromPretrained<Transformer>(dir, { registry });
      expect(auto).toBeInstanceOf(Transformer);
      expectAllClose(logits(auto), logits(model), { atol: 0 });
      auto.dispose();
    }, 'AutoModel');
    expect(registry.model.get('marian').taskArchitectures).toMatchObject({ translation: 'MarianMTModel' });
    model.dispose();
  });

  it('strict loading: a missing layer weight is an error; Hugging Face’s stored position tables are accepted when they are the sinusoids, refused otherwise', async () => {
    const model = trained(TINY_TRANSFORMER, 3);
    const dir = path.join(tmp, 'strict');
    await model.savePretrained(dir);
    await expectNoLeaks(async () => {
      const missing = await editedCheckpoint(dir, (w) => {
        w.get('model.decoder.layers.1.fc2.bias')!.dispose();
        w.delete('model.decoder.layers.1.fc2.bias');
      });
      expect(() => Transformer.fromCheckpoint(missing)).toThrow(StateDictError);
      expect(() => Transformer.fromCheckpoint(missing)).toThrow(/model\.decoder\.layers\.1\.fc2\.bias/);
      tf.dispose([...missing.weights.values()]);

      const withTables = await editedCheckpoint(dir, (w) => {
        w.set('model.encoder.embed_positions.weight', sinusoidalPositionEncoding(32, 16, { layout: 'halves' }));
        // As a float16 file rounds it.
        w.set('model.decoder.embed_positions.weight', tf.tidy(() => tf.add(sinusoidalPositionEncoding(32, 16, { layout: 'halves' }), 4e-4)));
      });
      const loaded = Transformer.fromCheckpoint(withTables);
      expectAllClose(logits(loaded), logits(model), { atol: 0 });
      loaded.dispose();
      tf.dispose([...withTables.weights.values()]);

      const interleaved = await editedCheckpoint(dir, (w) => w.set('model.encoder.embed_positions.weight', sinusoidalPositionEncoding(32, 16)));
      expect(() => Transformer.fromCheckpoint(interleaved)).toThrow(CheckpointError);
      expect(() => Transformer.fromCheckpoint(interleaved)).toThrow(/model\.encoder\.embed_positions\.weight \[32,16\] is not the sinusoid table/);
      tf.dispose([...interleaved.weights.values()]);
    }, 'checkpoint edits');
    model.dispose();
  });

  it('a MarianModel checkpoint (no model. prefix, no head) loads into the backbone, the tied projection with it', async () => {
    const model = trained(TINY_TRANSFORMER, 4);
    const dir = path.join(tmp, 'backbone');
    await model.savePretrained(dir);
    await expectNoLeaks(async () => {
      const backbone = await editedCheckpoint(dir, (w) => {
        for (const [name, t] of [...w]) {
          w.delete(name);
          if (name.startsWith('model.')) w.set(name.slice('model.'.length), t);
          else t.dispose();
        }
      });
      const loaded = Transformer.fromCheckpoint(backbone);
      expect(loaded.loadReport.missing).toEqual(['final_logits_bias']);
      tf.tidy(() => model.final_logits_bias.variable.assign(tf.zerosLike(model.final_logits_bias.variable)));
      expectAllClose(logits(loaded), logits(model), { atol: 0 });
      loaded.dispose();
      tf.dispose([...backbone.weights.values()]);
    }, 'backbone checkpoint');
    model.dispose();
  });
});
