/** Plain helpers of the worker (no tfjs), tested in unit tests. */

/** What the page reads from models/tiny-gpt2/. */
export const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** The action that brings a missing model file back. */
export function missingFileFix(name: string): string {
  return `Rebuild the site with \`pnpm --filter @tfkit/demo build\` (it copies ${name} from packages/all/assets/tiny-gpt2), or copy that file into the site's models/tiny-gpt2/ folder, then reload.`;
}

/**
 * Training examples from pasted text: lines (blank lines dropped) joined until an example holds
 * about `blockSize` tokens, so short lines are not wasted on padding and a long line stays whole
 * (the collator truncates it).
 */
export function trainingExamples(text: string, countTokens: (text: string) => number, blockSize: number): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    const joined = current ? `${current}\n${line}` : line;
    if (current && countTokens(joined) > blockSize) {
      out.push(current);
      current = line;
    } else {
      current = joined;
    }
  }
  if (current) out.push(current);
  return out.filter((t) => countTokens(t) >= 2);
}
