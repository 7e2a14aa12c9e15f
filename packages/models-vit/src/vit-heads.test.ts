import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@tfkit/layers';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { ViTConfigInput } from './vit-config.js';
import { ViTForImageClassification } from './vit-heads.js';

const tiny: ViTConfigInput = {
  hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, imageSize: 8, patchSize: 4, numChannels: 3,
  numLabels: 3, initializerRange: 0.2,
};

describe('ViTForImageClassification labels', () => {
  it('float class ids work as int ones, multi-label and regression as Hugging Face picks them; bad labels are InputErrors; nothing leaks', async () => {
    const model = new ViTForImageClassification(tiny, { seed: 1 });
    const regression = new ViTForImageClassification({ ...tiny, numLabels: 1 }, { seed: 1 });
    const pixelValues = tf.randomNormal([2, 3, 8, 8], 0, 1, 'float32', 7);
    const lossOf = (out: { loss?: tf.Scalar }) => {
      const v = out.loss!.dataSync()[0] as number;
      tf.dispose(out as unknown as tf.TensorContainer);
      return v;
    };
    await expectNoLeaks(() => {
      const out = model.forward({ pixelValues, labels: [2, 0] });
      const z = out.logits.arraySync() as number[][];
      const lse = (row: number[]) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      expect(out.loss!.dataSync()[0]).toBeCloseTo((lse(z[0]!) - z[0]![2]! + lse(z[1]!) - z[1]![0]!) / 2, 5);
      const want = lossOf(out);
      const floatIds = tf.tensor1d([2, 0], 'float32');
      expect(lossOf(model.forward({ pixelValues, labels: floatIds }))).toBe(want);
      floatIds.dispose();
      // [B, num_labels] targets: binary cross-entropy on each logit.
      const targets = [[1, 0, 1], [0, 0, 1]];
      const multi = model.forward({ pixelValues, labels: targets });
      const m = multi.logits.dataSync();
      const bce = targets.flat().reduce((a, y, i) => a + Math.max(m[i]!, 0) - m[i]! * y + Math.log1p(Math.exp(-Math.abs(m[i]!))), 0) / 6;
      expect(lossOf(multi)).toBeCloseTo(bce, 5);
      const r = regression.forward({ pixelValues, labels: [0.5, -1.5] });
      const y = r.logits.dataSync();
      expect(lossOf(r)).toBeCloseTo(((y[0]! - 0.5) ** 2 + (y[1]! + 1.5) ** 2) / 2, 5);
      expect(() => model.forward({ pixelValues, labels: [3, 3] })).toThrow(InputError);
      expect(() => model.forward({ pixelValues, labels: [2, 3] })).toThrow(/^ViTForImageClassification: labels\[1\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
      expect(() => model.forward({ pixelValues, labels: [-1, 0] })).toThrow(/labels\[0\] = -1 is not a class id/);
      expect(() => model.forward({ pixelValues, labels: [1.5, 0] })).toThrow(/labels\[0\] = 1.5 is not an integer/);
    });
    pixelValues.dispose();
    model.dispose();
    regression.dispose();
  });
});
