import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { expectDirectionalGradients, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { BartConfigInput } from './bart-config.js';
import { DataCollatorForBartDenoising, type BartDenoisingBatch } from './bart-denoising.js';
import { BartForConditionalGeneration } from './bart-heads.js';

const tiny: BartConfigInput = {
  vocabSize: 24, maxPositionEmbeddings: 16, dModel: 16, encoderLayers: 2, decoderLayers: 2, encoderAttentionHeads: 2, decoderAttentionHeads: 2,
  encoderFfnDim: 32, decoderFfnDim: 32, initStd: 0.1, dropout: 0.1, attentionDropout: 0.1, activationDropout: 0.1,
};
const MASK = 3;

/** Documents of 4–8 tokens from 4..23; the collator masks 25% of them for the model to restore. */
function denoisingBatch(n: number, seed: number): BartDenoisingBatch {
  const rng = new Random(seed);
  const docs = Array.from({ length: n }, () => Array.from({ length: 4 + rng.int(5) }, () => 4 + rng.int(20)));
  return new DataCollatorForBartDenoising({ maskTokenId: MASK, noise: { tokenMasking: { probability: 0.25 } }, seed }).collate(docs);
}

/** Gradients of `loss` for every trainable variable, keyed by parameter name. */
function gradsByName(model: BartForConditionalGeneration, loss: () => tf.Scalar) {
  const named = model.namedParameters({ trainableOnly: true });
  const { value, grads } = tf.variableGrads(loss, named.map(([, p]) => p.variable));
  return { value, grads: new Map(named.map(([n, p]) => [n, grads[p.variable.name] as tf.Tensor])) };
}

describe.each(['cpu', 'wasm'])('BART training on %s', (backend) => {
  it('gradients reach every parameter of encoder and decoder; Adam drives the denoising loss down; nothing leaks', async () => {
    await withBackend(backend, async () => {
      const model = new BartForConditionalGeneration(tiny, { seed: 1 });
      const batch = denoisingBatch(12, 2);
      const inputs = { inputIds: batch.inputIds, attentionMask: batch.attentionMask, labels: batch.labels };
      const evalLoss = () => tf.tidy(() => model.eval().forward(inputs).loss!.dataSync()[0]!);
      await expectNoLeaks(async () => {
        const initial = evalLoss();
        expect(initial).toBeGreaterThan(2.5); // ≈ ln 24 for an untrained model
        model.train();
        const { value, grads } = gradsByName(model, () => model.forward(inputs).loss!);
        // final_logits_bias is a buffer, as in Hugging Face: saved, never trained.
        expect([...grads.keys()]).not.toContain('final_logits_bias');
        expect(grads.size).toBe(model.namedParameters().length - 1);
        for (const [name, g] of grads) {
          const norm = tf.tidy(() => tf.norm(g).dataSync()[0]!);
          expect(Number.isFinite(norm) && norm > 0, `gradient of ${name}`).toBe(true);
        }
        for (const name of ['model.shared.weight', 'model.encoder.embed_positions.weight', 'model.encoder.layers.0.self_attn.q_proj.weight', 'model.decoder.layers.1.encoder_attn.k_proj.weight']) {
          expect(grads.has(name), name).toBe(true);
        }
        tf.dispose([value, ...grads.values()]);

        const optimizer = tf.train.adam(0.02);
        for (let step = 0; step < 30; step++) optimizer.minimize(() => model.forward(inputs).loss!, false, model.trainableVariables());
        optimizer.dispose();
        expect(evalLoss()).toBeLessThan(initial * 0.35);
      }, 'training');
      model.dispose();
    });
  });
});

describe('BART gradients', () => {
  it('match finite differences for every parameter along a random direction (labels with −100, both masks)', async () => {
    const model = new BartForConditionalGeneration({ ...tiny, dropout: 0, attentionDropout: 0, activationDropout: 0, dModel: 8, encoderFfnDim: 16, decoderFfnDim: 16, scaleEmbedding: true }, { seed: 4 });
    const batch = denoisingBatch(3, 5);
    const inputs = { inputIds: batch.inputIds, attentionMask: batch.attentionMask, labels: batch.labels, decoderAttentionMask: batch.labels.map((r) => r.map((id) => (id === -100 ? 0 : 1))) };
    const loss = () => model.forward(inputs).loss!;
    await expectNoLeaks(() => {
      const { value, grads } = gradsByName(model, loss);
      expectDirectionalGradients(model.namedParameters({ trainableOnly: true }), loss, (name) => grads.get(name)!, { rng: new Random(6), atol: 3e-3, rtol: 3e-2 });
      tf.dispose([value, ...grads.values()]);
    }, 'gradient check');
    model.dispose();
  });
});
