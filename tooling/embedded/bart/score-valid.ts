/**
 * Scores a fine-tuned tiny BART on the validation split that build.ts writes (translation: chrF and
 * exact match on the 882 validation pairs; summarization: ROUGE-L and exact match on the 269
 * validation passages, and which of the passage's sentences the outputs copy word for word), with the
 * copy / lead baselines beside it — how the fine-tuning settings in build.ts were chosen before the
 * test split was decoded. From the repository root, after build.ts's `data` stage:
 *
 *   node --import ./tooling/embedded/hooks.mjs tooling/embedded/bart/score-valid.ts translation <model dir> [beams]
 *   node --import ./tooling/embedded/hooks.mjs tooling/embedded/bart/score-valid.ts summarization <model dir> [beams]
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultRegistry, useBackend } from '@tfkit/all';
import { splitSentences } from '../data/index.js';
import { chrF, exactMatchRate, meanRougeL } from '../metrics.js';
import { pipelineOutputs } from '../pipeline-outputs.js';

const work = process.env['TFKIT_EMBEDDED_WORK'] ?? '/tmp/tfkit-embedded-bart';
const [task, from, beamsArg] = process.argv.slice(2);
if ((task !== 'translation' && task !== 'summarization') || !from) {
  throw new Error('usage: score-valid.ts translation|summarization <model dir> [beams]');
}
const numBeams = Number(beamsArg ?? 1);
const rows = fs.readFileSync(path.join(work, `${task}-valid.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
await useBackend(defaultRegistry(), 'wasm', { threads: 1 });
const round = (x: number) => Math.round(x * 100) / 100;

if (task === 'translation') {
  const sources = rows.map((r) => r['source']!);
  const refs = rows.map((r) => r['target']!);
  const out = await pipelineOutputs('translation', from, sources, 16, 64, numBeams);
  console.log(JSON.stringify({
    model: from, numBeams, pairs: rows.length,
    chrF: round(chrF(out, refs)), exactMatch: round(100 * exactMatchRate(out, refs)),
    copyBaseline: { chrF: round(chrF(sources, refs)), exactMatch: round(100 * exactMatchRate(sources, refs)) },
  }));
} else {
  const texts = rows.map((r) => r['text']!);
  const gold = rows.map((r) => r['summary']!);
  const out = await pipelineOutputs('summarization', from, texts, 72, 16, numBeams);
  // How many outputs are the passage's first, second or third sentence word for word, and how many none.
  const copied = [0, 1, 2].map((k) => texts.filter((t, i) => splitSentences(t)[k] === out[i]).length);
  console.log(JSON.stringify({
    model: from, numBeams, passages: rows.length,
    rougeL: round(100 * meanRougeL(out, gold)), exactMatch: round(100 * exactMatchRate(out, gold)),
    copiedSentence: { first: copied[0], second: copied[1], third: copied[2], none: rows.length - copied.reduce((a, b) => a + b, 0) },
    leadBaseline: { rougeL: round(100 * meanRougeL(rows.map((r) => r['lead']!), gold)) },
  }));
}
