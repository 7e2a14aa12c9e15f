// Seq2seq checkpoints trained and saved by tfkit, loaded strictly by the same architecture written
// in plain PyTorch (test/seq2seq_reference.py: nn.GRU / nn.LSTM / nn.RNN over a packed source batch, a
// step-by-step attention decoder) and run there: teacher-forced logits and attention must match
// tfkit's. Needs Debian's python3-torch, which .ci/run installs; outside CI, without it, skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { Seq2SeqConfigInput } from './seq2seq-config.js';
import { Seq2SeqModel } from './seq2seq-model.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/seq2seq_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const run = hasTorch || process.env['CI'] ? it : it.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-seq2seq-reference-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Inputs { input_ids: number[][]; attention_mask: number[][]; decoder_input_ids: number[][] }

const inputs: Inputs = {
  input_ids: [[5, 9, 14, 3, 21, 2, 0, 0], [7, 18, 2, 0, 0, 0, 0, 0], [11, 4, 8, 15, 22, 6, 19, 2]],
  attention_mask: [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]],
  decoder_input_ids: [[1, 6, 13, 4, 17, 2], [1, 9, 2, 0, 0, 0], [1, 12, 3, 3, 8, 16]],
};
const labels = inputs.decoder_input_ids.map((row, b) => [...row.slice(1), b === 1 ? -100 : 2].map((id, t) => (b === 1 && t >= 2 ? -100 : id)));

function reference(dir: string): { logits: number[][][]; attentions: number[][][] | null } {
  const file = path.join(tmp, 'inputs.json');
  fs.writeFileSync(file, JSON.stringify(inputs));
  const out = spawnSync(PYTHON, [SCRIPT, dir, file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`seq2seq_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  return JSON.parse(out.stdout) as { logits: number[][][]; attentions: number[][][] | null };
}

const CONFIGS: [string, Seq2SeqConfigInput][] = [
  ['gru, bahdanau, bidirectional, 2 layers', { cell: 'gru', attention: 'bahdanau', bidirectional: true, numLayers: 2 }],
  ['lstm, luong-general, bidirectional, 2 layers, tied output', { cell: 'lstm', attention: 'luong-general', bidirectional: true, numLayers: 2, embeddingSize: 16, tieWordEmbeddings: true }],
  ['rnn, luong-dot, 1 layer', { cell: 'rnn', attention: 'luong-dot' }],
  ['lstm, bahdanau, 3 layers', { cell: 'lstm', attention: 'bahdanau', numLayers: 3 }],
  ['gru, no attention, bidirectional', { cell: 'gru', attention: 'none', bidirectional: true }],
];

describe('tfkit-saved seq2seq checkpoints in PyTorch', () => {
  for (const backend of ['cpu', 'wasm']) {
    run.each(CONFIGS)(`on ${backend}, %s: trained, saved, loaded strictly — same teacher-forced logits and attention within 1e-4`, async (name, variant) => {
      await withBackend(backend, async () => {
        const model = new Seq2SeqModel({ sourceVocabSize: 24, targetVocabSize: 20, embeddingSize: 12, hiddenSize: 16, dropout: 0.1, ...variant }, { seed: 3 });
        const forward = () => model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, decoderInputIds: inputs.decoder_input_ids, outputAttentions: true });
        const before = tf.tidy(() => forward().logits.arraySync() as number[][][]);
        // A few Adam steps (dropout on, scheduled sampling) so no weight is at its initial value.
        await expectNoLeaks(() => {
          const optimizer = tf.train.adam(0.05);
          model.train();
          for (let i = 0; i < 4; i++) {
            optimizer.minimize(() => model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, labels, teacherForcingRatio: 0.7 }).loss!, false, model.trainableVariables());
          }
          model.eval();
          optimizer.dispose();
        }, 'training');
        const dir = path.join(tmp, `${backend}-${name.replace(/[^a-z0-9]+/g, '-')}`);
        await model.savePretrained(dir);
        const out = forward();
        const ours = { logits: out.logits.arraySync() as number[][][], attentions: out.attentions ? (out.attentions.arraySync() as number[][][]) : null };
        tf.dispose(out as unknown as tf.TensorContainer);
        expect(Math.max(...ours.logits.flat(2).map((v, i) => Math.abs(v - before.flat(2)[i]!)))).toBeGreaterThan(0.05);
        const theirs = reference(dir);
        expectAllClose(ours.logits, theirs.logits, { atol: 1e-4, label: `${name} logits` });
        if (variant.attention === 'none') expect(theirs.attentions).toBeNull();
        else expectAllClose(ours.attentions!, theirs.attentions!, { atol: 1e-5, label: `${name} attentions` });
        model.dispose();
      });
    });
  }
});
