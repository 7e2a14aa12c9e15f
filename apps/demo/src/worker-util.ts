/** Plain helpers of the worker (no tfjs), tested in unit tests. */

/** What the page reads from models/tiny-gpt2/. */
export const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** Files a user's own model folder must hold (the others are optional there). */
export const REQUIRED_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;

/** What to do when a file of a user's own model folder cannot be fetched. */
export function customFileFix(url: string, fallback = 'Or go back to the embedded model.'): string {
  return `Check the address: ${url} must be a folder (ending in /) that holds ${REQUIRED_FILES.join(', ')}, served with cross-origin access (CORS) when it is on another site. ${fallback}`;
}

/**
 * A model folder from what the user typed: a URL (absolute, or relative to the page), or a Hugging
 * Face hub id (`owner/name`), made to end with `/`. Undefined for an empty or unusable input.
 */
export function modelFolderUrl(input: string, base: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  const url = /^[\w.-]+\/[\w.-]+$/.test(text) && !text.startsWith('.') ? `https://huggingface.co/${text}/resolve/main/` : text;
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  parsed.search = '';
  parsed.hash = '';
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return parsed.href;
}

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
