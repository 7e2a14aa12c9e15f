/**
 * The embedded text-to-text models (assets/tiny-bart-translation, tiny-bart-summarization,
 * tiny-gru-translation, tiny-transformer-translation; trained by tfkit, see their model cards and
 * tooling/embedded): each shipped weight file is in the format and of the size its card states, and each
 * model gives the outputs its card lists as checked — greedy decoding, on cpu and on wasm, with no
 * tensor left over. The BART ones are loaded the way users get them: `pipeline(task)` with no model.
 */
import path from 'node:path';
import { AutoModel, createRegistry } from '@tfkit/core-tensor';
import { generate, type GenerationModel } from '@tfkit/generation';
import { Tokenizer } from '@tfkit/tokenizers';
import { cardSection, expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, registerAll } from './register-all.js';

const registry = registerAll(createRegistry());
const assets = path.resolve(import.meta.dirname, '../assets');

interface Shipped {
  name: string;
  /** The task `pipeline()` serves with it by default (BART), or none (loaded with AutoModel). */
  task?: 'translation' | 'summarization';
}

const MODELS: Shipped[] = [
  { name: 'tiny-bart-translation', task: 'translation' },
  { name: 'tiny-bart-summarization', task: 'summarization' },
  { name: 'tiny-gru-translation' },
  { name: 'tiny-transformer-translation' },
];

/** The rows of the card's "Checked outputs" table: input and greedy output, in backticks. */
function checkedOutputs(name: string): { input: string; output: string }[] {
  const section = cardSection(modelCard(path.join(assets, name)), 'Checked outputs');
  return [...section.matchAll(/^\| `(.+?)` \| `(.*?)` \|$/gm)].map(([, input, output]) => ({ input: input!, output: output! }));
}

/** Greedy outputs of the shipped model for `inputs`. */
async function outputsOf(model: Shipped, inputs: string[]): Promise<string[]> {
  if (model.task) {
    const pipe = await pipeline(model.task, undefined, { registry });
    try {
      const results = await pipe.call(inputs, { doSample: false, numBeams: 1 });
      return results.map((r) => String(r[0]?.[model.task === 'translation' ? 'translationText' : 'summaryText']).trim());
    } finally {
      pipe.dispose();
    }
  }
  const dir = path.join(assets, model.name);
  const net = (await AutoModel.fromPretrained(dir, { registry })) as unknown as GenerationModel & { dispose(): void };
  const tokenizer = await Tokenizer.fromPretrained(dir);
  try {
    const enc = tokenizer.encodeBatch(inputs, { padding: 'longest', paddingSide: 'right' });
    const out = await generate(net, enc.map((e) => e.ids), { attentionMask: enc.map((e) => e.attentionMask), maxNewTokens: 16, doSample: false, numBeams: 1, tokenizer });
    return out.sequences.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }).trim());
  } finally {
    net.dispose();
  }
}

describe('embedded text-to-text models', () => {
  it('translation and summarization default to the tiny BARTs', () => {
    expect(DEFAULT_MODELS['translation']).toBe('tiny-bart-translation');
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
