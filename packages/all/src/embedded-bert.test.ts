/**
 * The embedded tiny BERT family (assets/tiny-bert, a BERT pretrained by tfkit with MLM + NSP on the
 * corpus, and its fine-tuned heads tiny-bert-authors, tiny-bert-ner and tiny-bert-qa): each shipped
 * model.safetensors is in the format and of the size its model card states, and `pipeline(task)` with no model
 * gives the output the card lists as checked, on cpu and wasm alike, with no tensor left over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor';
import type { FeatureExtractionPipeline, FillMaskCandidate, FillMaskPipeline, QuestionAnsweringPipeline, TextClassificationPipeline, TokenClassificationPipeline } from '@tfkit/models-bert';
import { cardSection, expectAllClose, expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, registerAll } from './register-all.js';

const assets = path.resolve(import.meta.dirname, '../assets');
const registry = registerAll(createRegistry());

/** The cells of the first row of the card's "Checked outputs" table (backticks removed). */
function checked(name: string): string[] {
  const section = cardSection(modelCard(path.join(assets, name)), 'Checked outputs');
  const row = section.split('\n').find((l) => l.startsWith('| `'));
  if (!row) throw new Error(`${name}/README.md lists no checked output`);
  return row.slice(1, -1).split(' | ').map((c) => c.trim().replace(/^`|`$/g, ''));
}

const MODELS = { 'fill-mask': 'tiny-bert', 'feature-extraction': 'tiny-bert', 'text-classification': 'tiny-bert-authors', 'token-classification': 'tiny-bert-ner', 'question-answering': 'tiny-bert-qa' } as const;

describe('embedded tiny BERT family', () => {
  it('the five BERT tasks default to them', () => {
    for (const [task, name] of Object.entries(MODELS)) expect(DEFAULT_MODELS[task], task).toBe(name);
  });

  it.each([...new Set(Object.values(MODELS))])('%s: model.safetensors is in the format and of the size the card states; the WordPiece tokenizer is the base model’s', (name) => {
    expectWeightsAsCarded(path.join(assets, name), { parameters: true });
    expect(fs.readFileSync(path.join(assets, name, 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(assets, 'tiny-bert', 'tokenizer.json'), 'utf8'));
  });

  const outputs = new Map<string, unknown[]>();
  /** Runs `body` on `backend` leak-free and checks its numbers against the other backend's. */
  async function onBackend<T>(backend: string, key: string, body: () => Promise<{ result: T; numbers: number[] }>): Promise<T> {
    const { result, numbers } = await withBackend(backend, () => expectNoLeaks(body, `${key} on ${backend}`));
    const seen = outputs.get(key) ?? [];
    seen.push(numbers);
    outputs.set(key, seen);
    if (seen.length === 2) expectAllClose(seen[1] as number[], seen[0] as number[], { atol: 1e-4, label: `${key}: wasm vs cpu` });
    return result;
  }

  describe.each(['cpu', 'wasm'])('on %s', (backend) => {
    it('fill-mask with no model ranks the held-out word the card names first', async () => {
      const [text, word] = checked('tiny-bert');
      expect(text).toContain('[MASK]');
      const best = await onBackend(backend, 'fill-mask', async () => {
        const fill = (await pipeline('fill-mask', undefined, { registry })) as FillMaskPipeline;
        const candidates = (await fill.call(text!, { topK: 5 })) as FillMaskCandidate[];
        fill.dispose();
        return { result: candidates, numbers: candidates.map((c) => c.score) };
      });
      expect(best[0]!.tokenStr).toBe(word);
    }, 60_000);

    it('feature-extraction with no model: one 128-wide vector per text, nearer for the sentences the card pairs', async () => {
      const [a, b, c] = checked('tiny-bert').slice(2);
      const vectors = await onBackend(backend, 'feature-extraction', async () => {
        const embed = (await pipeline('feature-extraction', undefined, { registry })) as FeatureExtractionPipeline;
        const out = (await embed.call([a!, b!, c!], { pooling: 'mean', normalize: true })) as number[][];
        embed.dispose();
        return { result: out, numbers: out.flat() };
      });
      expect(vectors.map((v) => v.length)).toEqual([128, 128, 128]);
      const cos = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
      expect(cos(vectors[0]!, vectors[1]!)).toBeGreaterThan(cos(vectors[0]!, vectors[2]!));
    }, 60_000);

    it('text-classification with no model names the author of the held-out passage the card lists', async () => {
      const [text, author] = checked('tiny-bert-authors');
      const labels = await onBackend(backend, 'text-classification', async () => {
        const classify = (await pipeline('text-classification', undefined, { registry })) as TextClassificationPipeline;
        const out = await classify.call(text!, { topK: null });
        classify.dispose();
        return { result: out, numbers: [...out].sort((x, y) => x.label.localeCompare(y.label)).map((l) => l.score) };
      });
      expect(labels.map((l) => l.label).sort()).toEqual(['austen', 'chesterton', 'edgeworth', 'melville']);
      expect(labels[0]!.label).toBe(author);
    }, 60_000);

    it('token-classification with no model finds the entities the card lists in a held-out sentence', async () => {
      const [text, expected] = checked('tiny-bert-ner');
      const entities = await onBackend(backend, 'token-classification', async () => {
        const ner = (await pipeline('token-classification', undefined, { registry })) as TokenClassificationPipeline;
        const out = (await ner.call(text!, { aggregationStrategy: 'simple' })) as { entityGroup: string; start: number; end: number; score: number }[];
        ner.dispose();
        return { result: out, numbers: out.map((e) => e.score) };
      });
      expect(entities.map((e) => `${text!.slice(e.start, e.end)}:${e.entityGroup}`).join(', ')).toBe(expected);
    }, 60_000);

    it('question-answering with no model extracts the answer the card lists from a held-out passage', async () => {
      const [question, context, answer] = checked('tiny-bert-qa');
      const found = await onBackend(backend, 'question-answering', async () => {
        const qa = (await pipeline('question-answering', undefined, { registry })) as QuestionAnsweringPipeline;
        const out = (await qa.call({ question: question!, context: context! })) as { answer: string; start: number; end: number; score: number };
        qa.dispose();
        return { result: out, numbers: [out.score] };
      });
      expect(found.answer).toBe(answer);
      expect(context!.slice(found.start, found.end)).toBe(answer);
    }, 60_000);
  });
});
