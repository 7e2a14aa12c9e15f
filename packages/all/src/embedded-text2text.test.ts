/**
 * The embedded text-to-text models (assets/tiny-bart-translation, tiny-bart-summarization,
 * tiny-gru-translation, tiny-transformer-translation; trained by tfkit, see their model cards and
 * tooling/embedded): each shipped weight file is float16 and the size its card states, and each
 * model gives the outputs its card lists as checked — greedy decoding, on cpu and on wasm, with no
 * tensor left over. The BART ones are loaded the way users get them: `pipeline(task)` with no model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AutoModel, createRegistry } from '@tfkit/core-tensor';
import { generate, type GenerationModel } from '@tfkit/generation';
import { Tokenizer } from '@tfkit/tokenizers';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
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

const card = (name: string) => fs.readFileSync(path.join(assets, name, 'README.md'), 'utf8');

/** The rows of the card's "Checked outputs" table: input and greedy output, in backticks. */
function checkedOutputs(name: string): { input: string; output: string }[] {
  const section = card(name).split(/^## /m).find((s) => s.startsWith('Checked outputs')) ?? '';
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

  it.each(MODELS.map((m) => m.name))('%s: model.safetensors is float16 and the size its card states', (name) => {
    const bytes = fs.readFileSync(path.join(assets, name, 'model.safetensors'));
    const stated = /`model\.safetensors` \| weights, float16: ([\d,]+) bytes, ([\d,]+) parameters/.exec(card(name));
    expect(stated, 'the card states the file size and parameter count').not.toBeNull();
    expect(bytes.length).toBe(Number(stated![1]!.replaceAll(',', '')));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
    const tensors = Object.entries(header).filter(([key]) => key !== '__metadata__');
    expect(new Set(tensors.map(([, t]) => t.dtype))).toEqual(new Set(['F16']));
    expect(tensors.reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(Number(stated![2]!.replaceAll(',', '')));
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
