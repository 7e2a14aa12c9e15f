// Transformer checkpoints trained and saved by tfkit, loaded the way Hugging Face transformers loads a
// MarianMTModel (test/transformer_reference.py: modeling_marian.py's module tree in plain PyTorch,
// strict state_dict loading, the tied aliases re-tied and the sinusoid tables filled by _init_weights)
// and run in PyTorch: teacher-forced logits within 1e-4 and the same greedy ids. Needs Debian's
// python3-torch, which .ci/run installs; outside CI, without it, skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { TransformerConfigInput } from './transformer-config.js';
import { Transformer } from './transformer-model.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/transformer_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const run = hasTorch || process.env['CI'] ? it : it.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-transformer-reference-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const inputs = {
  input_ids: [[5, 9, 14, 3, 21, 2, 0, 0], [7, 18, 2, 0, 0, 0, 0, 0], [11, 4, 8, 15, 22, 6, 19, 2]],
  attention_mask: [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]],
  decoder_input_ids: [[1, 6, 13, 4, 17, 2], [1, 9, 2, 0, 0, 0], [1, 12, 3, 3, 8, 16]],
  max_new_tokens: 7,
};
const labels = inputs.decoder_input_ids.map((row, b) => [...row.slice(1), 2].map((id, t) => (b === 1 && t >= 2 ? -100 : id)));

function reference(dir: string): { logits: number[][][]; greedy: number[][] } {
  const file = path.join(tmp, 'inputs.json');
  fs.writeFileSync(file, JSON.stringify(inputs));
  const out = spawnSync(PYTHON, [SCRIPT, dir, file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`transformer_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  return JSON.parse(out.stdout) as { logits: number[][][]; greedy: number[][] };
}

/** Each row up to and including its first eos after the start token. */
const untilEos = (rows: number[][], eos: number) => rows.map((r) => (r.indexOf(eos, 1) < 0 ? r : r.slice(0, r.indexOf(eos, 1) + 1)));

const BASE: TransformerConfigInput = {
  vocabSize: 24, dModel: 24, encoderAttentionHeads: 4, decoderAttentionHeads: 2, encoderFfnDim: 40, decoderFfnDim: 32, maxPositionEmbeddings: 16, initStd: 0.15,
};
const CONFIGS: [string, string, Partial<TransformerConfigInput>][] = [
  ['cpu', 'the paper: shared vocabulary, tied projection, relu, scaled embeddings, 2 + 2 layers', { encoderLayers: 2, decoderLayers: 2 }],
  ['wasm', 'separate vocabularies (both 24), untied projection, swish, unscaled, 3 + 1 layers', {
    decoderVocabSize: 24, shareEncoderDecoderEmbeddings: false, tieWordEmbeddings: false, activationFunction: 'swish', scaleEmbedding: false, encoderLayers: 3, decoderLayers: 1,
  }],
  ['cpu', 'separate vocabularies, tied projection, gelu, odd width 18 (sines one column wider)', {
    dModel: 18, encoderAttentionHeads: 3, decoderAttentionHeads: 2, shareEncoderDecoderEmbeddings: false, activationFunction: 'gelu', encoderLayers: 1, decoderLayers: 2,
  }],
];

describe('tfkit-saved Transformer checkpoints in PyTorch (MarianMTModel)', () => {
  run.each(CONFIGS)('on %s, %s: trained, saved, loaded strictly — same logits within 1e-4, same greedy ids', async (backend, name, variant) => {
    await withBackend(backend, async () => {
      const model = new Transformer({ ...BASE, dropout: 0.1, ...variant }, { seed: 7 });
      const forward = () => tf.tidy(() => model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, decoderInputIds: inputs.decoder_input_ids }).logits.arraySync());
      const before = forward();
      // A few Adam steps with dropout, and a random bias buffer, so that no weight is where it started.
      await expectNoLeaks(() => {
        const optimizer = tf.train.adam(0.02);
        model.train();
        for (let i = 0; i < 4; i++) {
          optimizer.minimize(() => model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, labels }).loss!, false, model.trainableVariables());
        }
        model.eval();
        optimizer.dispose();
        tf.tidy(() => model.final_logits_bias.variable.assign(tf.randomNormal(model.final_logits_bias.shape, 0, 0.3, 'float32', 1)));
      }, 'training');
      const dir = path.join(tmp, `${backend}-${name.replace(/[^a-z0-9]+/g, '-').slice(0, 40)}`);
      await model.savePretrained(dir);
      const ours = forward();
      expect(Math.max(...ours.flat(2).map((v, i) => Math.abs(v - before.flat(2)[i]!)))).toBeGreaterThan(0.05);
      const theirs = reference(dir);
      expectAllClose(ours, theirs.logits, { atol: 1e-4, label: `${name} logits` });
      const { sequences } = await model.generate(inputs.input_ids, { attentionMask: inputs.attention_mask, maxNewTokens: inputs.max_new_tokens });
      expect(untilEos(sequences, model.config.eosTokenId)).toEqual(untilEos(theirs.greedy, model.config.eosTokenId));
      model.dispose();
    });
  });
});
