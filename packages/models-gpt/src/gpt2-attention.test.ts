import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_CACHED_ATTENTION_IN_PLACE, FUSED_DENSE, FUSED_GELU, Random } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { GPT2LMHeadModel } from './gpt2-heads.js';
import type { PastKeyValues } from './gpt2-modeling.js';

function ids(rows: number, len: number, vocab: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => rng.int(vocab)));
}

/** Names of the kernels `f` runs on the active backend (custom-gradient scopes left out). */
async function kernelNames(f: () => tf.TensorContainer): Promise<string[]> {
  const profile = await tf.profile(() => f());
  return profile.kernels.map((k) => k.name).filter((name) => tf.getKernel(name, tf.getBackend()) !== undefined);
}

function disposePast(past: PastKeyValues | undefined): void {
  past?.forEach(({ key, value }) => tf.dispose([key, value]));
}

describe('GPT-2 attention routes', () => {
  // Heads of 64 over 40 positions: 40·64·40 multiply-adds per head, enough for wasm to run each
  // head as its own 2-D matMul (core-tensor's batchedMatMul); cpu runs tfjs's batched matMul.
  const wide = { vocabSize: 50, nPositions: 64, nEmbd: 128, nLayer: 1, nHead: 2, residPdrop: 0, embdPdrop: 0, attnPdrop: 0 };

  it('the per-head route on wasm gives the logits and gradients of the batched route on cpu', async () => {
    const input = ids(2, 40, wide.vocabSize, 1);
    const run = (backend: string) =>
      withBackend(backend, () => {
        const model = new GPT2LMHeadModel(wide, { seed: 5 });
        const named = model.namedParameters({ trainableOnly: true });
        const { value, grads } = tf.variableGrads(() => model.forward({ inputIds: input, labels: input }).loss as tf.Scalar, named.map(([, p]) => p.variable));
        const logits = tf.tidy(() => model.forward({ inputIds: input }).logits);
        const out = {
          loss: value.dataSync()[0] as number,
          logits: logits.dataSync().slice(),
          grads: new Map(named.map(([n, p]) => [n, (grads[p.variable.name] as tf.Tensor).dataSync().slice()])),
        };
        tf.dispose([value, logits, ...Object.values(grads)]);
        model.dispose();
        return out;
      });
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    expectAllClose(wasm.logits, cpu.logits, { label: 'logits' });
    for (const [name, g] of cpu.grads) expectAllClose(wasm.grads.get(name) as Float32Array, g, { atol: 1e-5, label: `gradient of ${name}` });
  });

  it.each(['cpu', 'wasm'])('on %s a step without padding (no mask at all) equals the full forward at its position', async (backend) => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const model = new GPT2LMHeadModel(wide, { seed: 6 });
        const prompt = ids(2, 9, wide.vocabSize, 2);
        const next = [[3], [7]];
        const first = model.forward({ inputIds: prompt, useCache: true });
        const step = model.forward({ inputIds: next, pastKeyValues: first.pastKeyValues ?? null, useCache: true });
        const full = model.forward({ inputIds: prompt.map((r, i) => [...r, ...(next[i] as number[])]) });
        const last = tf.slice(full.logits, [0, 9, 0], [2, 1, -1]);
        expectAllClose(step.logits, last, { label: 'cached step' });
        expect(step.pastKeyValues?.[0]?.key.shape).toEqual([2, 2, 10, 64]);
        disposePast(first.pastKeyValues);
        disposePast(step.pastKeyValues);
        tf.dispose([first.logits, step.logits, full.logits, last]);
        model.dispose();
      }, 'cached step'),
    );
  });
});

describe.each(['cpu', 'wasm'])('GPT-2 decoding step on %s', (backend) => {
  const config = { vocabSize: 60, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4 };

  it('transposes nothing — not the LM head, not the heads — and keeps attention to a handful of kernels', async () => {
    await withBackend(backend, async () => {
      const model = new GPT2LMHeadModel(config, { seed: 7 });
      const prompt = ids(1, 6, config.vocabSize, 3);
      const first = model.forward({ inputIds: prompt, useCache: true });
      const past = first.pastKeyValues ?? null;
      const forward = await kernelNames(() => {
        const out = model.forward({ inputIds: [[4]], pastKeyValues: past, useCache: true });
        return [out.logits, ...(out.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])];
      });
      expect(forward).not.toContain('Transpose');
      const session = model.startDecoding({ inputIds: prompt, attentionMask: [prompt[0]!.map(() => 1)] }, { useCache: true });
      session.nextTokenLogits().dispose();
      session.append([5]);
      const generation = await kernelNames(() => session.nextTokenLogits());
      expect(generation).not.toContain('Transpose');
      session.dispose();
      // One layer's attention in a step: the q/k/v projection and its split, the two cache
      // concatenations, the two products and the softmax, the output projection. On wasm the
      // projections are one fused dense kernel each and the rest is one fused attention step.
      const x = tf.randomNormal([1, 1, config.nEmbd]) as tf.Tensor3D;
      const attention = await kernelNames(() => {
        const out = model.transformer.h.at(0)!.attn.forward(x, null, past?.[0] ?? null, false);
        return [out.output, out.present.key, out.present.value];
      });
      if (backend === 'wasm') {
        expect(attention).toEqual([FUSED_DENSE, FUSED_CACHED_ATTENTION, FUSED_DENSE]);
      } else {
        expect(attention.length).toBeLessThanOrEqual(18);
        expect(attention.filter((k) => k === 'BatchMatMul')).toHaveLength(4);
      }
      tf.dispose(x);
      disposePast(past ?? undefined);
      first.logits.dispose();
      model.dispose();
    });
  });
});

describe('GPT-2 decoding step: kernels per step on wasm (tfkit\'s fused kernels)', () => {
  // GPT-2 small's depth and head size (12 layers, heads of 64) against 128 cached positions; the
  // width and vocabulary are small, which changes no kernel count. A step is 7 kernels per block
  // (two residual-add + layer norms, four dense layers — c_fc with the GELU inside —, one
  // attention step) plus the two embedding lookups, the final add + layer norm and the LM head:
  // 88 through `model.forward`, 89 through the session (issue #17: at most 300; 385 before, then
  // 100 / 101 with a GELU kernel of its own). Were one fused kernel lost, the count would rise by
  // at least a dozen.
  const config = { vocabSize: 64, nPositions: 160, nEmbd: 128, nLayer: 12, nHead: 2 };

  it('stays at 7 kernels per block through model.forward and through the decoding session', async () => {
    await withBackend('wasm', async () => {
      const model = new GPT2LMHeadModel(config, { seed: 8 });
      const prompt = ids(1, 128, config.vocabSize, 4);
      const first = model.forward({ inputIds: prompt, useCache: true });
      const past = first.pastKeyValues ?? null;
      const forward = await kernelNames(() => {
        const out = model.forward({ inputIds: [[4]], pastKeyValues: past, useCache: true });
        return [out.logits, ...(out.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])];
      });
      const session = model.startDecoding({ inputIds: prompt, attentionMask: [prompt[0]!.map(() => 1)] }, { useCache: true });
      session.nextTokenLogits().dispose();
      session.append([5]);
      const generation = await kernelNames(() => session.nextTokenLogits());
      session.dispose();
      disposePast(past ?? undefined);
      first.logits.dispose();
      model.dispose();
      expect(forward.length).toBeLessThanOrEqual(4 + 7 * config.nLayer);
      expect(generation.length).toBeLessThanOrEqual(5 + 7 * config.nLayer);
      expect(generation).not.toContain(FUSED_GELU);
      expect(generation.filter((k) => k === FUSED_CACHED_ATTENTION_IN_PLACE)).toHaveLength(config.nLayer);
      expect(forward.filter((k) => k === FUSED_CACHED_ATTENTION)).toHaveLength(config.nLayer);
      expect(forward.filter((k) => k === FUSED_DENSE)).toHaveLength(4 * config.nLayer + 1);
      expect(forward.filter((k) => k === FUSED_ADD_LAYER_NORM)).toHaveLength(2 * config.nLayer + 1);
    });
  });
});
