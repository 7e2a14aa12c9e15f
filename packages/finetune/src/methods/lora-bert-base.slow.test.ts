// PEFT reports "trainable params: 294,912 || all params: 109,777,152 || trainable%: 0.2686" for
// LoRA r=8 on query/value of bert-base-uncased's BertModel; tfkit must count the same.
import { BertModel } from '@tfkit/models-bert';
import { describe, expect, it } from 'vitest';
import { LoraModel } from './lora.js';

describe('LoRA on a BERT-base shape', () => {
  it('r=8 on query/value trains ≈0.27% of the parameters', { timeout: 600_000 }, () => {
    const model = new BertModel({ vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072, maxPositionEmbeddings: 512 });
    expect(model.parameterCount()).toBe(109_482_240);
    const lora = LoraModel.apply(model, { r: 8, loraAlpha: 16, targetModules: ['query', 'value'] });
    const { trainable, total, percent } = lora.trainableParameters();
    expect(trainable).toBe(294_912);
    expect(total).toBe(109_777_152);
    expect(percent).toBeCloseTo(0.2686, 4);
    lora.dispose();
    model.dispose();
  });
});
