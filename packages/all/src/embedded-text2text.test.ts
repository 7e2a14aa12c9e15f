/**
 * The embedded text-to-text models (assets/tiny-bart-translation, tiny-bart-summarization,
 * tiny-gru-translation, tiny-transformer-translation; trained by tfkit, see their model cards and
 * tooling/embedded): each shipped weight file is in the format and of the size its card states, and each
 * model gives the outputs its card lists as checked — greedy decoding, on cpu and on wasm, with no
 * tensor left over. Each is loaded the way users get it: `pipeline(task)` with no model for the
 * defaults (BART translates and summarizes), `pipeline('translation', dir)` for the others.
 */
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor';
import { cardSection, expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, registerAll } from './register-all.js';

const registry = registerAll(createRegistry());
const assets = path.resolve(import.meta.dirname, '../assets');

interface Shipped {
  name: string;
  task: 'translation' | 'summarization';
  /** `pipeline(task)` serves it when no model is given. */
  isDefault?: boolean;
}

const MODELS: Shipped[] = [
  { name: 'tiny-bart-translation', task: 'translation', isDefault: true },
  { name: 'tiny-bart-summarization', task: 'summarization', isDefault: true },
  { name: 'tiny-gru-translation', task: 'translation' },
  { name: 'tiny-transformer-translation', task: 'translation' },
];

/** The rows of the card's "Checked outputs" table: input and greedy output, in backticks. */
function checkedOutputs(name: string): { input: string; output: string }[] {
  const section = cardSection(modelCard(path.join(assets, name)), 'Checked outputs');
  return [...section.matchAll(/^\| `(.+?)` \| `(.*?)` \|$/gm)].map(([, input, output]) => ({ input: input!, output: output! }));
}

/** Greedy outputs of the shipped model for `inputs`. */
async function outputsOf(model: Shipped, inputs: string[]): Promise<string[]> {
  const pipe = await pipeline(model.task, model.isDefault ? undefined : path.join(assets, model.name), { registry });
  try {
    const results = await pipe.call(inputs, { doSample: false, numBeams: 1 });
    return results.map((r) => String(r[0]?.[model.task === 'translation' ? 'translationText' : 'summaryText']).trim());
  } finally {
    pipe.dispose();
  }
}

describe('embedded text-to-text models', () => {
  it('translation defaults to the tiny BART translator (the best of the three on the validation pairs), summarization to the tiny BART summarizer', () => {
    expect(DEFAULT_MODELS['translation']).toBe('tiny-bart-translation');
    expect(DEFAULT_MODELS['text2text-generation']).toBe('tiny-bart-translation');
    expect(DEFAULT_MODELS['summarization']).toBe('tiny-bart-summarization');
  });

  it.each(MODELS.map((m) => m.name))('%s: model.safetensors is in the format and of the size its card states', (name) => {
    expectWeightsAsCarded(path.join(assets, name), { parameters: true });
  });

  describe.each(['cpu', 'wasm'])('on %s', (backend) => {
    it.each(MODELS)('$name gives the outputs its card lists as checked', async (model) => {
      const checked = checkedOutputs(model.name);
      expect(checked.length, 'the card lists checked outputs').toBeGreaterThan(0);
      const outputs = await withBackend(backend, () => expectNoLeaks(() => outputsOf(model, checked.map((c) => c.input)), `${model.name} on ${backend}`));
      expect(outputs).toEqual(checked.map((c) => c.output));
    }, 120_000);
  });
});
