/**
 * Training and evaluation data of `tfkit finetune` and `tfkit eval`: JSONL (one JSON object per
 * line), CSV or TSV (a header row), and for causal-lm also plain text. Each task reads its
 * documented columns (the names the Hugging Face hub's datasets use are accepted as well) and
 * turns rows into the examples its collator takes.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './command.js';
import { readTextOption } from './inputs.js';

export const FINETUNE_TASKS = ['text-classification', 'token-classification', 'question-answering', 'summarization', 'translation', 'causal-lm', 'image-classification'] as const;
export type FinetuneTask = (typeof FINETUNE_TASKS)[number];

/** The columns of each task, for `--help` and the README. */
export const TASK_COLUMNS: Record<FinetuneTask, string> = {
  'text-classification': 'text, label (a class name or id), optional text_pair',
  'token-classification': 'tokens (a list of words, or words separated by spaces), tags (one label per word; also ner_tags)',
  'question-answering': 'question, context, answers ({"text": [...], "answer_start": [...]}, SQuAD) — or answer and answer_start columns',
  summarization: 'text (also document, article, source), summary (also highlights, target)',
  translation: 'source, target',
  'causal-lm': 'text — or a .txt / .txt.gz file, one example per blank-line-separated document',
  'image-classification': 'image (a PNG or JPEG file, relative to the data file), label',
};

export type Row = Record<string, unknown>;

/** Rows of a JSONL, CSV or TSV file (by extension; .gz is gunzipped); plain text for `.txt`. */
export async function readRows(flag: string, file: string, cwd: string): Promise<Row[]> {
  const text = await readTextOption(flag, file, cwd);
  const name = file.replace(/\.gz$/, '').toLowerCase();
  if (name.endsWith('.txt')) {
    return text.split(/\r?\n\s*\r?\n/).map((d) => d.trim()).filter(Boolean).map((d) => ({ text: d }));
  }
  if (name.endsWith('.csv') || name.endsWith('.tsv')) {
    const { parseCsv } = await import('@tfkit/finetune');
    return parseCsv(text, { delimiter: name.endsWith('.tsv') ? '\t' : ',', source: `${flag} ${file}` });
  }
  return text.split(/\r?\n/).flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      const row = JSON.parse(line) as unknown;
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error('not a JSON object');
      return [row as Row];
    } catch (error) {
      throw new CliError(`${flag} ${file}: line ${i + 1} is not a JSON object (${(error as Error).message}); give JSONL (one object per line), .csv, .tsv or .txt`, { cause: error });
    }
  });
}

function pick(row: Row, names: readonly string[]): unknown {
  for (const n of names) if (row[n] !== undefined && row[n] !== '') return row[n];
  return undefined;
}

function need(row: Row, names: readonly string[], i: number, where: string): unknown {
  const value = pick(row, names);
  if (value === undefined) throw new CliError(`${where}: row ${i + 1} has no ${names.map((n) => `"${n}"`).join(' or ')} (columns: ${Object.keys(row).join(', ') || 'none'})`);
  return value;
}

const words = (value: unknown) => (Array.isArray(value) ? value.map(String) : String(value).trim().split(/\s+/));
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The task's examples from rows, in the form its collator takes. `dataDir` resolves image paths.
 * `withLabels: false` (eval data may lack them only where a task can do without) is not offered:
 * every row must be labelled.
 */
export async function taskExamples(task: FinetuneTask, rows: Row[], where: string, dataDir: string): Promise<Row[]> {
  if (!rows.length) throw new CliError(`${where}: no examples`);
  switch (task) {
    case 'text-classification':
      return rows.map((r, i) => ({ text: asText(need(r, ['text', 'sentence'], i, where)), label: need(r, ['label'], i, where), ...(pick(r, ['text_pair']) !== undefined ? { text_pair: asText(pick(r, ['text_pair'])) } : {}) }));
    case 'token-classification':
      return rows.map((r, i) => {
        const tokens = words(need(r, ['tokens', 'words'], i, where));
        const tags = words(need(r, ['tags', 'ner_tags', 'labels'], i, where)).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
        if (tags.length !== tokens.length) throw new CliError(`${where}: row ${i + 1} has ${tokens.length} tokens but ${tags.length} tags; give one tag per token`);
        return { tokens, ner_tags: tags };
      });
    case 'question-answering':
      return rows.map((r, i) => {
        const answers = r['answers'] as { text?: unknown; answer_start?: unknown } | undefined;
        const texts = answers && typeof answers === 'object' ? answers.text : pick(r, ['answer']);
        const starts = answers && typeof answers === 'object' ? answers.answer_start : pick(r, ['answer_start']);
        const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
        const text = list(texts).map(String);
        const start = list(starts).map(Number);
        if (text.length !== start.length || start.some((s) => !Number.isInteger(s) || s < 0)) {
          throw new CliError(`${where}: row ${i + 1}: answers need as many texts as character starts (answer_start), got ${text.length} and ${start.length}`);
        }
        const context = asText(need(r, ['context'], i, where));
        text.forEach((t, k) => {
          if (context.slice(start[k], (start[k] as number) + t.length) !== t) throw new CliError(`${where}: row ${i + 1}: the answer "${t}" is not at character ${start[k]} of the context`);
        });
        return { question: asText(need(r, ['question'], i, where)), context, answers: { text, answer_start: start } };
      });
    case 'summarization':
      return rows.map((r, i) => ({ source: asText(need(r, ['text', 'document', 'article', 'source'], i, where)), target: asText(need(r, ['summary', 'highlights', 'target'], i, where)) }));
    case 'translation':
      return rows.map((r, i) => ({ source: asText(need(r, ['source'], i, where)), target: asText(need(r, ['target'], i, where)) }));
    case 'causal-lm':
      return rows.map((r, i) => ({ text: asText(need(r, ['text'], i, where)) }));
    case 'image-classification': {
      const out: Row[] = [];
      for (const [i, r] of rows.entries()) {
        const file = path.resolve(dataDir, String(need(r, ['image', 'file', 'path'], i, where)));
        const bytes = await fsp.readFile(file).catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`${where}: row ${i + 1}: cannot read the image ${file} (${error.code === 'ENOENT' ? 'no such file' : error.message})`, { cause: error });
        });
        out.push({ image: new Uint8Array(bytes), label: need(r, ['label'], i, where) });
      }
      return out;
    }
  }
}

/** Class names in a stable order: numeric ids as numbers, names sorted. */
export function labelSet(values: Iterable<unknown>): string[] {
  const all = [...new Set([...values].map(String))];
  return all.every((v) => /^\d+$/.test(v)) ? all.sort((a, b) => Number(a) - Number(b)) : all.sort();
}
