/**
 * Prints the greedy outputs of a task-prompt GPT-2 for the first held-out prompts, exactly as the
 * test of the embedded model runs them (one prompt at a time: `pipeline('translation')` for
 * `<to-fr>`, `generate` for `<summarize>`), as the rows of its model card's "Checked prompts".
 *
 *   node --import ./tooling/embedded/hooks.mjs tooling/embedded/gpt2-prompts/check.ts packages/all/assets/tiny-gpt2-prompts
 */
import { registerAll, pipeline } from '@tfkit/all';
import { createRegistry } from '@tfkit/core-tensor';
import { generate, type GenerationModel, type PromptedTranslationPipeline } from '@tfkit/generation';
import type { Tokenizer } from '@tfkit/tokenizers';
import { loadKeySentenceExamples, loadPhrasePairs } from '../data/index.js';

const dir = process.argv[2] ?? 'packages/all/assets/tiny-gpt2-prompts';
const registry = registerAll(createRegistry());
const translate = (await pipeline('translation', dir, { registry })) as unknown as PromptedTranslationPipeline;
const tokenizer = translate.tokenizer as unknown as Tokenizer;
const rows: string[] = [];
const pairs = loadPhrasePairs({ split: 'test' });
const right: string[] = [];
for (const p of pairs.slice(0, 200)) {
  const [out] = await translate.call(p.source, { tgtLang: 'fr', doSample: false, maxNewTokens: 16 });
  if (out!.translationText.toLowerCase() === p.target.toLowerCase()) right.push(`| \`<to-fr>\` | ${p.source} | ${out!.translationText} |`);
  if (rows.length < 2) rows.push(`| \`<to-fr>\` | ${p.source} | ${out!.translationText} |`);
}
const passage = loadKeySentenceExamples({ split: 'test' }).find((e) => tokenizer.encode(`${e.source} <summarize>`).ids.length + tokenizer.encode(` ${e.target}`).ids.length + 1 <= 128)!;
const ids = tokenizer.encode(`${passage.source} <summarize>`).ids;
const out = await generate(translate.model as GenerationModel, [ids], { doSample: false, maxNewTokens: 128 - ids.length, eosTokenId: 0, padTokenId: 0 });
rows.push(`| \`<summarize>\` | ${passage.source} | ${tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true }).trim()} |`);
translate.dispose();
console.log(JSON.stringify({ firstRows: rows, exactlyRightInFirst200: right }, null, 2));
