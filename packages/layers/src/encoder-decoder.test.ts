import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { decoderLayersInputs, EncoderDecoderCache, stackLayers, type EncoderDecoderConfig } from './encoder-decoder.js';
import { InputError } from './errors.js';
import { checkInputsObject, checkPositions } from './int-input.js';
import { TransformerEncoderLayer } from './transformer-layers.js';

/** The error `fn` throws (or undefined). */
function errorOf(fn: () => unknown): InputError | undefined {
  try {
    fn();
  } catch (e) {
    return e as InputError;
  }
  return undefined;
}

describe('encoder-decoder stacks: layers and input checks', () => {
  it('stackLayers builds each side from its own config keys', () => {
    const config = { dModel: 8, encoderLayers: 3, encoderAttentionHeads: 2, encoderFfnDim: 12, decoderLayers: 1, decoderAttentionHeads: 4, decoderFfnDim: 6, activationFunction: 'relu', dropout: 0, attentionDropout: 0, activationDropout: 0 } as EncoderDecoderConfig;
    const encoder = stackLayers(config, 'encoder', { std: 0.02, rng: new Random(0) }, (o) => new TransformerEncoderLayer(o));
    const decoder = stackLayers(config, 'decoder', { std: 0.02, rng: new Random(0) }, (o) => new TransformerEncoderLayer(o));
    expect([encoder.length, [...encoder].map((l) => l.fc1.weight.shape)]).toEqual([3, [[8, 12], [8, 12], [8, 12]]]);
    expect([decoder.length, decoder.at(0).self_attn.numHeads, decoder.at(0).fc1.weight.shape]).toEqual([1, 4, [8, 6]]);
    encoder.dispose();
    decoder.dispose();
  });

  it('decoderLayersInputs checks the cache, the encoder states and both masks, naming each', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      const ids = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
      const encoderHiddenStates = tf.zeros([2, 5, 8]);
      const dims = { dModel: 8, layers: 2 };
      const ok = decoderLayersInputs(ids, { encoderHiddenStates, encoderAttentionMask: [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], attentionMask: [[1, 1], [1, 0]] }, dims, 'D');
      expect([ok.encoderAttentionMask?.shape, ok.attentionMask?.shape]).toEqual([[2, 5], [2, 2]]);
      const bad = (options: object) => errorOf(() => decoderLayersInputs(ids, { encoderHiddenStates, ...options }, dims, 'D'));
      expect(bad({ cache: {} })?.argument).toBe('cache');
      expect(bad({ cache: new EncoderDecoderCache(3) })?.message).toBe('D: cache must be an EncoderDecoderCache of 2 layers (or left out), got object');
      expect(bad({ encoderHiddenStates: tf.zeros([1, 5, 8]) })?.message).toBe('D: the encoder states are [1,5,8] for a batch of 2 decoder rows');
      expect(bad({ encoderHiddenStates: tf.zeros([2, 5, 4]) })?.argument).toBe('encoderHiddenStates');
      expect(bad({ encoderAttentionMask: [[1, 1]] })?.argument).toBe('encoderAttentionMask');
      expect(bad({ attentionMask: [[1, 1, 1], [1, 1, 1]] })?.argument).toBe('decoderAttentionMask');
    }), 'decoderLayersInputs');
  });

  it('checkPositions counts cached and new positions; checkInputsObject wants an object', () => {
    expect(() => checkPositions(4, 4, 8, 'D')).not.toThrow();
    const e = errorOf(() => checkPositions(2, 7, 8, 'D', 'decoderInputIds'));
    expect([e instanceof InputError, e?.argument, e?.message]).toEqual([true, 'decoderInputIds', 'D: 9 positions (7 cached + 2 new) exceed max_position_embeddings 8; truncate the input to at most 8 tokens']);
    expect(errorOf(() => checkInputsObject(null, 'inputIds', 'M'))?.message).toBe('M: pass an object of inputs ({ inputIds, … }), got null');
    expect(errorOf(() => checkInputsObject([[1]], 'inputIds', 'M'))).toBeUndefined();
  });
});
