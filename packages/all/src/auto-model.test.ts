import * as tf from '@tensorflow/tfjs-core';
import { AutoModel as CoreAutoModel, ConfigError, createRegistry } from '@tfkit/core-tensor';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { AutoModel, bert, defaultRegistry, gpt2 } from './index.js';

describe('AutoModel from @tfkit/all', () => {
  it('loads a checkpoint without options, over the default registry', async () => {
    const dir = fixturePath('models', 'gpt2-lm');
    const model = await AutoModel.fromPretrained(dir);
    expect(model).toBeInstanceOf(gpt2.GPT2LMHeadModel);
    const before = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    const bertModel = await AutoModel.fromPretrained(fixturePath('models', 'bert-sequence-classification'), { architecture: 'BertForSequenceClassification' });
    expect(bertModel).toBeInstanceOf(bert.BertForSequenceClassification);
    bertModel.dispose();
  });

  it('uses the registry it is given', async () => {
    const dir = fixturePath('models', 'gpt2-lm');
    await expectNoLeaks(async () => {
      await expect(AutoModel.fromPretrained(dir, { registry: createRegistry() })).rejects.toThrow(/model_type "gpt2" is not registered\. Registered: \(none\)/);
    });
    const model = await AutoModel.fromPretrained(dir, { registry: defaultRegistry() });
    model.dispose();
  });

  it("leaves the core's AutoModel strict: no options is a ConfigError saying what to pass", async () => {
    const dir = fixturePath('models', 'gpt2-lm');
    const error = await CoreAutoModel.fromPretrained(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^AutoModel\.fromPretrained: options\.registry is required: pass \{ registry \} made with createRegistry\(\)/);
    await expect(AutoModel.fromPretrained(dir, 'gpt2' as never)).rejects.toThrow(ConfigError);
  });
});
