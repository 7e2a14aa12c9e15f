/**
 * The "Checked outputs" of the tiny-bert model cards (the tests check them): for each model the
 * first held-out example, in test-set order, that it gets right — not a measure of skill (the
 * held-out metrics are), a known-good output to guard the shipped files.
 *   node --import ./tooling/embedded/register.mjs tooling/embedded/tiny-bert/pick-examples.ts <assets dir> <data dir> [tasks]
 * fill-mask: the first 100 held-out Austen sentences of 8–20 words; the first masked word (a whole
 * word of one token, letters only, ≥ 4 letters) the model ranks first — or, when it ranks none
 * first, the first sentence whose first comma it does. feature-extraction: two held-out
 * Austen sentences and one of Melville's, the Austen pair nearer (cosine of mean-pooled vectors).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRegistry, pipeline, registerAll, useBackend } from '@tfkit/all';

const [assets, data, only] = process.argv.slice(2) as [string, string, string?];
/** Which parts to run (a comma-separated list of tasks as the third argument; default all). */
const wanted = (task: string) => !only || only.split(',').includes(task);
const registry = registerAll(createRegistry());
await useBackend(registry, 'cpu');
const read = (name: string) => fs.readFileSync(path.join(data, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
type Any = { call(...a: unknown[]): Promise<unknown>; dispose(): void; tokenizer: { encode(t: string, o?: object): { ids: number[] } } };

// fill-mask
if (wanted('fill-mask')) {
  const fill = (await pipeline('fill-mask', path.join(assets, 'tiny-bert'), { registry })) as unknown as Any;
  const heldOut = fs.readFileSync(path.join(data, 'pretrain-heldout.txt'), 'utf8').split('\n');
  const start = heldOut.findIndex((l) => l.startsWith('"Emma') || l.includes('Emma'));
  const sentences = heldOut.slice(Math.max(0, start)).filter((l) => l.split(' ').length >= 8 && l.split(' ').length <= 20).slice(0, 100);
  const tries = (sentence: string): [string, string][] => {
    const words = sentence.split(' ');
    const out: [string, string][] = [];
    for (const [i, w] of words.entries()) {
      if (/^[a-z]{4,}$/.test(w) && fill.tokenizer.encode(w, { addSpecialTokens: false }).ids.length === 1) out.push([[...words.slice(0, i), '[MASK]', ...words.slice(i + 1)].join(' '), w]);
    }
    return out;
  };
  // Words first; when the model gets none of them (of the first 100 sentences), the first comma.
  let found: [string, string] | undefined;
  for (const sentence of sentences) {
    for (const [text, w] of tries(sentence)) {
      if (((await fill.call(text, { topK: 1 })) as { tokenStr: string }[])[0]!.tokenStr === w) found ??= [text, w];
    }
    if (found) break;
  }
  if (!found) {
    for (const sentence of sentences.filter((l) => l.includes(', '))) {
      const text = sentence.replace(', ', '[MASK] ');
      if (((await fill.call(text, { topK: 1 })) as { tokenStr: string }[])[0]!.tokenStr === ',') {
        found = [text, ','];
        break;
      }
    }
  }
  if (found) console.log(`fill-mask | \`${found[0]}\` | \`${found[1]}\``);
  fill.dispose();
}
// feature-extraction
if (wanted('feature-extraction')) {
  const embed = (await pipeline('feature-extraction', path.join(assets, 'tiny-bert'), { registry })) as unknown as Any;
  const texts = ['Emma was very glad to see her friend again.', 'Elinor was quite happy to meet her sister at home.', 'The whale rose from the sea and struck the boat.'];
  const v = (await embed.call(texts, { pooling: 'mean', normalize: true })) as number[][];
  const cos = (x: number[], y: number[]) => x.reduce((s, a, i) => s + a * y[i]!, 0);
  console.log(`feature-extraction | ${texts.map((t) => `\`${t}\``).join(' | ')} | cos(1,2)=${cos(v[0]!, v[1]!).toFixed(3)} cos(1,3)=${cos(v[0]!, v[2]!).toFixed(3)}`);
  embed.dispose();
}
// text-classification
if (wanted('text-classification')) {
  const classify = (await pipeline('text-classification', path.join(assets, 'tiny-bert-authors'), { registry })) as unknown as Any;
  for (const row of read('classify-test.jsonl').filter((r) => String(r['text']).split(' ').length <= 60)) {
    const top = ((await classify.call(row['text'], { topK: 1 })) as { label: string }[])[0]!.label;
    if (top === row['label']) {
      console.log(`text-classification | \`${String(row['text'])}\` | \`${top}\``);
      break;
    }
  }
  classify.dispose();
}
// token-classification
if (wanted('token-classification')) {
  const { spans } = (await import('./gazetteer.mjs')) as unknown as { spans(t: string[]): [number, number, string][] };
  const ner = (await pipeline('token-classification', path.join(assets, 'tiny-bert-ner'), { registry })) as unknown as Any;
  for (const row of read('ner-test.jsonl')) {
    const tokens = row['tokens'] as string[];
    const gold = spans(row['tags'] as string[]);
    if (gold.length < 1 || tokens.length > 30) continue;
    const text = tokens.join(' ');
    const got = ((await ner.call(text, { aggregationStrategy: 'simple' })) as { entityGroup: string; start: number; end: number }[]).map((e) => `${text.slice(e.start, e.end)}:${e.entityGroup}`).join(', ');
    const want = gold.map(([a, b, t]) => `${tokens.slice(a, b).join(' ')}:${t}`).join(', ');
    if (got === want) {
      console.log(`token-classification | \`${text}\` | \`${want}\``);
      break;
    }
  }
  ner.dispose();
}
// question-answering
if (wanted('question-answering')) {
  const qa = (await pipeline('question-answering', path.join(assets, 'tiny-bert-qa'), { registry })) as unknown as Any;
  for (const row of read('qa-test.jsonl')) {
    const answer = ((await qa.call({ question: row['question'], context: row['context'] })) as { answer: string }).answer;
    if (answer === (row['answers'] as { text: string[] }).text[0]) {
      console.log(`question-answering | \`${String(row['question'])}\` | \`${String(row['context'])}\` | \`${answer}\``);
      break;
    }
  }
  qa.dispose();
}
