import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, ConfigError, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Seq2SeqModel } from './seq2seq-model.js';
import { registerSeq2Seq } from './seq2seq-register.js';
import { BATCH, TINY } from './seq2seq-test-utils.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-seq2seq-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function savedTensors(dir: string): Map<string, number[]> {
  const { tensors } = safetensorsToTensors(fs.readFileSync(path.join(dir, 'model.safetensors')), dir);
  const shapes = new Map([...tensors].map(([name, t]) => [name, t.shape]));
  tf.dispose([...tensors.values()]);
  return shapes;
}

describe('save and load', () => {
  it('writes PyTorch names and layouts (nn.LSTM weights, bridge, attention, [vocab, hidden] projection)', async () => {
    const model = new Seq2SeqModel({ ...TINY, cell: 'lstm', attention: 'bahdanau', bidirectional: true, numLayers: 1 }, { seed: 1 });
    const dir = path.join(tmp, 'lstm-bahdanau');
    await model.savePretrained(dir);
    expect(Object.fromEntries(savedTensors(dir))).toEqual({
      'encoder.embedding.weight': [13, 6],
      'encoder.rnn.weight_ih_l0': [32, 6], 'encoder.rnn.weight_hh_l0': [32, 8], 'encoder.rnn.bias_ih_l0': [32], 'encoder.rnn.bias_hh_l0': [32],
      'encoder.rnn.weight_ih_l0_reverse': [32, 6], 'encoder.rnn.weight_hh_l0_reverse': [32, 8], 'encoder.rnn.bias_ih_l0_reverse': [32], 'encoder.rnn.bias_hh_l0_reverse': [32],
      'bridge.h_proj.weight': [8, 16], 'bridge.h_proj.bias': [8], 'bridge.c_proj.weight': [8, 16], 'bridge.c_proj.bias': [8],
      'decoder.embedding.weight': [11, 6],
      // The bottom layer reads [embedding; context]: 6 + 16 columns.
      'decoder.rnn.weight_ih_l0': [32, 22], 'decoder.rnn.weight_hh_l0': [32, 8], 'decoder.rnn.bias_ih_l0': [32], 'decoder.rnn.bias_hh_l0': [32],
      'decoder.attention.query_proj.weight': [8, 8], 'decoder.attention.key_proj.weight': [8, 16], 'decoder.attention.key_proj.bias': [8], 'decoder.attention.v.weight': [1, 8],
      'decoder.out_proj.weight': [11, 8], 'decoder.out_proj.bias': [11],
    });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'rnn-seq2seq', architectures: ['Seq2SeqModel'], cell: 'lstm', attention: 'bahdanau', bidirectional: true });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'))).toEqual({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, decoder_start_token_id: 1 });
    model.dispose();
  });

  it.each(['cpu', 'wasm'])('on %s: save → load (directly and through AutoModel) gives identical outputs; a tied projection is stored once', async (backend) => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, cell: 'gru', attention: 'luong-general', bidirectional: true, embeddingSize: 8, tieWordEmbeddings: true }, { seed: 2 });
      const dir = path.join(tmp, `tied-${backend}`);
      await model.savePretrained(dir);
      const names = [...savedTensors(dir).keys()];
      expect(names).toContain('decoder.embedding.weight');
      expect(names).not.toContain('decoder.out_proj.weight');
      expect(names).toContain('decoder.attention.linear_in.weight');
      expect(names).toContain('decoder.combine.weight');
      const registry = registerSeq2Seq(createRegistry());
      await expectNoLeaks(async () => {
        const loaded = await Seq2SeqModel.fromPretrained(dir);
        const auto = await AutoModel.fromPretrained<Seq2SeqModel>(dir, { registry });
        expect(auto).toBeInstanceOf(Seq2SeqModel);
        expect(loaded.decoder.out_proj.weight).toBe(loaded.decoder.embedding.weight);
        expect(loaded.training).toBe(false);
        tf.tidy(() => {
          const want = model.forward({ ...BATCH, outputAttentions: true });
          for (const other of [loaded, auto]) {
            const got = other.forward({ ...BATCH, outputAttentions: true });
            expectAllClose(got.logits, want.logits, { atol: 0 });
            expectAllClose(got.attentions!, want.attentions!, { atol: 0 });
            expectAllClose(got.loss!, want.loss!, { atol: 0 });
          }
        });
        const [a, b] = [await model.generate(BATCH.inputIds, { maxNewTokens: 5, numBeams: 2 }), await auto.generate(BATCH.inputIds, { maxNewTokens: 5, numBeams: 2 })];
        expect(b.sequences).toEqual(a.sequences);
        // Saving the loaded model writes the same files.
        await loaded.savePretrained(path.join(tmp, `again-${backend}`));
        expect(fs.readFileSync(path.join(tmp, `again-${backend}`, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(dir, 'model.safetensors')));
        loaded.dispose();
        auto.dispose();
      }, 'load');
      model.dispose();
    });
  });

  it('loading is strict: missing, unexpected or mis-shaped weights and a config that does not fit are typed errors', async () => {
    const dot = path.join(tmp, 'luong-dot');
    const model = new Seq2SeqModel({ ...TINY, attention: 'luong-dot' }, { seed: 3 });
    await model.savePretrained(dot);
    model.dispose();
    await expectNoLeaks(async () => {
      await expect(Seq2SeqModel.fromPretrained(dot, { configOverrides: { attention: 'luong-general' } })).rejects.toThrow(StateDictError);
      await expect(Seq2SeqModel.fromPretrained(dot, { configOverrides: { attention: 'luong-general' } })).rejects.toThrow(/luong-dot \(model\.safetensors\) does not fit the model — missing: decoder\.attention\.linear_in\.weight$/);
      await expect(Seq2SeqModel.fromPretrained(dot, { configOverrides: { hidden_size: 10 } })).rejects.toThrow(/mis-shaped: encoder\.rnn\.weight_ih_l0 \(expected \[30,6\], got \[24,6\]\)/);
      await expect(Seq2SeqModel.fromPretrained(dot, { configOverrides: { cell: 'cnn' } })).rejects.toThrow(ConfigError);
      // strict: false keeps the initial values of what the file lacks.
      const lenient = await Seq2SeqModel.fromPretrained(dot, { configOverrides: { attention: 'luong-general' }, strict: false });
      expect(lenient.decoder.attention?.namedParameters().map(([n]) => n)).toEqual(['linear_in.weight']);
      await lenient.savePretrained(path.join(tmp, 'luong-general'));
      lenient.dispose();
      await expect(Seq2SeqModel.fromPretrained(path.join(tmp, 'luong-general'), { configOverrides: { attention: 'luong-dot' } })).rejects.toThrow(/unexpected: decoder\.attention\.linear_in\.weight$/);
    });
  });
});
