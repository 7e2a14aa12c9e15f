/**
 * Outputs of a text-to-text pipeline over `texts`, in batches, trimmed — greedy unless `numBeams` is
 * given — how the tiny BARTs are scored (bart/build.ts) and re-scored (quantize/eval-embedded.ts).
 * The backend must be active.
 */
import { pipeline } from '@tfkit/all';

export type TextTask = 'translation' | 'summarization' | 'text2text-generation';

const KEYS: Record<TextTask, string> = { translation: 'translationText', summarization: 'summaryText', 'text2text-generation': 'generatedText' };

export async function pipelineOutputs(task: TextTask, from: string, texts: string[], maxNewTokens: number, batch: number, numBeams = 1): Promise<string[]> {
  const pipe = await pipeline(task, from);
  const out: string[] = [];
  try {
    for (let i = 0; i < texts.length; i += batch) {
      const results = await pipe.call(texts.slice(i, i + batch), { maxNewTokens, numBeams, doSample: false });
      for (const r of results) out.push(String((r[0] as Record<string, string>)[KEYS[task]] ?? '').trim());
    }
  } finally {
    pipe.dispose();
  }
  return out;
}
