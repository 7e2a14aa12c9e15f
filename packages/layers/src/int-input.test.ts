import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '@tfkit/core-tensor';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { InputError, TokenizerMismatchError } from './errors.js';
import { attentionMaskInput, checkTensorValues, checkTokenizerFitsModel, floatInput, intInput, tokenIds } from './int-input.js';

/** The error `fn` throws (or undefined). */
function errorOf(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('intInput: host arrays', () => {
  it('makes an int32 tensor of the array’s shape, with no tensor left behind on failure', async () => {
    await expectNoLeaks(() => {
      const t = tokenIds([[1, 2, 3], [4, 5, 6]], 10, 'M');
      expect([t.dtype, t.shape, [...t.dataSync()]]).toEqual(['int32', [2, 3], [1, 2, 3, 4, 5, 6]]);
      t.dispose();
      for (const bad of [[[1, 10]], [[1, -1]], [[1, 0.5]], [[1], [2, 3]], [], [[]], 'ids', null, [[1, '2']]]) expect(() => tokenIds(bad, 10, 'M')).toThrow(InputError);
    }, 'intInput');
  });

  it('names the argument and the entry, and the config key of the range', () => {
    const e = errorOf(() => tokenIds([[1, 2, 3, 4], [5, 6, 7, 1000]], 1000, 'BertModel.forward')) as InputError;
    expect(e).toBeInstanceOf(InputError);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.code).toBe('ERR_INPUT');
    expect(e.message).toBe('BertModel.forward: inputIds[1][3] = 1000 is outside the vocabulary [0, 1000) (vocab_size)');
    expect([e.argument, e.index]).toEqual(['inputIds', [1, 3]]);
    expect(errorOf(() => tokenIds([[0, -1]], 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] = -1 is outside the vocabulary \[0, 5\)/);
    expect(errorOf(() => tokenIds([[0, 2.5]], 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] = 2\.5 is not an integer/);
    expect(errorOf(() => tokenIds([[0, NaN]], 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] = NaN is not an integer/);
    expect(errorOf(() => tokenIds([[0, 1e300]], 5, 'M'))?.message).toMatch(/= 1e\+300 is outside/);
    expect(errorOf(() => tokenIds([[0, 7]], 5, 'M', { allow: [-100], name: 'labels' }))?.message).toMatch(/labels\[0\]\[1\] = 7 is outside the vocabulary \[0, 5\) \(vocab_size\) and is not -100/);
    expect(tokenIds([[0, -100]], 5, 'M', { allow: [-100] }).dataSync()[1]).toBe(-100);
  });

  it('rejects ragged, empty, mistyped and over-nested batches with typed errors', () => {
    expect(errorOf(() => tokenIds([[1, 2], [1]], 5, 'M'))?.message).toMatch(/inputIds is ragged: inputIds\[1\] has 1 entries, inputIds\[0\] has 2; pad the rows/);
    expect(errorOf(() => tokenIds([], 5, 'M'))?.message).toMatch(/no rows \(an empty batch\)/);
    expect(errorOf(() => tokenIds([[]], 5, 'M'))?.message).toMatch(/inputIds is \[1,0\]: it has a row without entries \(an empty sequence\)/);
    expect(errorOf(() => tokenIds([1, 2], 5, 'M'))?.message).toMatch(/inputIds must be \[batch, length\], got an array of shape \[2\]/);
    expect(errorOf(() => tokenIds([[[1]]], 5, 'M'))?.message).toMatch(/nested deeper than \[batch, length\]/);
    expect(errorOf(() => tokenIds([[1, [2]]], 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] is an array, expected a number|nested deeper/);
    expect(errorOf(() => tokenIds([[1, 2], 3], 5, 'M'))?.message).toMatch(/inputIds\[1\] is the number 3, expected a row/);
    expect(errorOf(() => tokenIds([[1, {}]], 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] is an object \(Object\), expected a number/);
    expect(errorOf(() => tokenIds({ length: 2 }, 5, 'M'))?.message).toMatch(/must be a tensor or nested arrays of integers/);
    expect(errorOf(() => tokenIds(undefined, 5, 'M'))?.message).toMatch(/got a undefined|got undefined/);
  });

  it('walks a hostile nesting depth without recursion', () => {
    let deep: unknown = [1];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(() => tokenIds(deep, 5, 'M')).toThrow(InputError);
  });

  it('takes booleans as 0/1 and checks masks', () => {
    const m = attentionMaskInput([[true, false]], [1, 2], 'M');
    expect([...m.dataSync()]).toEqual([1, 0]);
    m.dispose();
    expect(errorOf(() => attentionMaskInput([[1, 2]], [1, 2], 'M'))?.message).toMatch(/attentionMask\[0\]\[1\] = 2 is not 0 or 1/);
    expect(errorOf(() => attentionMaskInput([[1, 1, 1]], [1, 2], 'M'))?.message).toBe('M: attentionMask is [1,3], expected [1,2]');
    expect(errorOf(() => intInput([[1, 1]], { name: 'positionIds', shape: [[1, 3], 2] }, 'M'))).toBeUndefined();
    expect(errorOf(() => intInput([[1, 1], [1, 1]], { name: 'positionIds', shape: [[1, 3], 2] }, 'M'))?.message).toMatch(/positionIds is \[2,2\], expected \[1\|3,2\]/);
  });
});

describe('intInput: tensors', () => {
  it('passes an int32 tensor through, casts integral float and bool tensors, rejects the rest', async () => {
    await expectNoLeaks(() => {
      const ids = tf.tensor2d([[1, 2]], undefined, 'int32');
      expect(tokenIds(ids, 5, 'M')).toBe(ids);
      tf.tidy(() => {
        expect(errorOf(() => tokenIds(tf.tensor2d([[1, 5]], undefined, 'int32'), 5, 'M'))?.message).toMatch(/inputIds\[0\]\[1\] = 5 is outside the vocabulary/);
        expect(tokenIds(tf.tensor2d([[1, 2]]), 5, 'M').dtype).toBe('int32');
        expect(errorOf(() => tokenIds(tf.tensor2d([[1, 2.5]]), 5, 'M'))?.message).toMatch(/= 2\.5 is not an integer/);
        expect(errorOf(() => tokenIds(tf.tensor2d([[1, NaN]]), 5, 'M'))?.message).toMatch(/= NaN is not an integer/);
        expect(errorOf(() => tokenIds(tf.tensor1d([1, 2]), 5, 'M'))?.message).toMatch(/must be \[batch, length\], got \[2\]/);
        expect(errorOf(() => tokenIds(tf.zeros([0, 3]), 5, 'M'))?.message).toMatch(/empty batch/);
        expect(errorOf(() => tokenIds(tf.tensor2d([['a']] as unknown as number[][], undefined, 'string'), 5, 'M'))?.message).toMatch(/is a string tensor/);
        expect(attentionMaskInput(tf.cast(tf.tensor2d([[1, 0]]), 'bool'), [1, 2], 'M').dtype).toBe('int32');
      });
      const gone = tf.tensor2d([[1]], undefined, 'int32');
      gone.dispose();
      expect(errorOf(() => tokenIds(gone, 5, 'M'))?.message).toMatch(/disposed tensor/);
      ids.dispose();
    }, 'tensor inputs');
  });

  it('finds the bad entry the same way when the check runs on the device first', async () => {
    await expectNoLeaks(() => {
      tf.tidy(() => {
        const spec = { name: 'labels', range: { high: 5, problem: 'is out', allow: [-100] } };
        expect(() => checkTensorValues(tf.tensor2d([[1, -100, 4]], undefined, 'int32'), spec, 'M', false)).not.toThrow();
        expect(errorOf(() => checkTensorValues(tf.tensor2d([[1, 2], [3, 5]], undefined, 'int32'), spec, 'M', false))?.message).toBe('M: labels[1][1] = 5 is out');
        expect(errorOf(() => checkTensorValues(tf.tensor2d([[1, 2], [NaN, 3]]), spec, 'M', false))?.message).toBe('M: labels[1][0] = NaN is not an integer');
        expect(errorOf(() => checkTensorValues(tf.tensor2d([[1, -3]]), spec, 'M', false))?.message).toBe('M: labels[0][1] = -3 is out');
      });
    }, 'device check');
  });

  it('checks ids on wasm too', async () => {
    await withBackend('wasm', () => {
      const e = errorOf(() => tf.tidy(() => tokenIds(tf.tensor2d([[1, 9]], undefined, 'int32'), 5, 'M')));
      expect(e?.message).toMatch(/inputIds\[0\]\[1\] = 9 is outside/);
    });
  });
});

describe('floatInput and checkTokenizerFitsModel', () => {
  it('checks pixels for type, shape and emptiness', () => {
    const spec = { name: 'pixelValues', ranks: [4] };
    expect(errorOf(() => floatInput(tf.zeros([0, 3, 4, 4]), spec, 'ViT'))?.message).toMatch(/pixelValues is \[0,3,4,4\]: it has no rows/);
    expect(errorOf(() => floatInput([[[[1, 'x']]]], spec, 'ViT'))?.message).toMatch(/pixelValues\[0\]\[0\]\[0\]\[1\] is a string/);
    const t = floatInput([[[[1, 2]]]], spec, 'ViT');
    expect([t.dtype, t.shape]).toEqual(['float32', [1, 1, 1, 2]]);
    t.dispose();
  });

  it('refuses a tokenizer with more ids than the model has embedding rows', () => {
    expect(() => checkTokenizerFitsModel(1000, 1000, 'p')).not.toThrow();
    expect(() => checkTokenizerFitsModel(999, 1024, 'p')).not.toThrow();
    const e = errorOf(() => checkTokenizerFitsModel(1003, 1000, 'fill-mask')) as TokenizerMismatchError;
    expect(e).toBeInstanceOf(TokenizerMismatchError);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/^fill-mask: the tokenizer has 1003 ids but the model's vocabulary has 1000 rows \(vocab_size\); ids 1000…1002 would have no embedding/);
  });
});

describe('intInput without a range', () => {
  it('still refuses what int32 cannot hold (it would wrap around)', () => {
    expect(errorOf(() => intInput([[1, 2 ** 31]], { name: 'ids' }, 'M'))?.message).toBe('M: ids[0][1] = 2147483648 does not fit in int32');
    expect(errorOf(() => tf.tidy(() => intInput(tf.tensor2d([[1, -(2 ** 32)]]), { name: 'ids' }, 'M')))?.message).toBe('M: ids[0][1] = -4294967296 does not fit in int32');
    expect(errorOf(() => intInput([[1, 2.5]], { name: 'ids' }, 'M'))?.message).toBe('M: ids[0][1] = 2.5 is not an integer');
    const t = intInput([[-(2 ** 31), 2 ** 31 - 1]], { name: 'ids' }, 'M');
    expect([...t.dataSync()]).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    t.dispose();
  });
});
