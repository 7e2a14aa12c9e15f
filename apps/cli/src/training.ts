/**
 * What `tfkit pretrain`, `finetune` and `eval` share: turning integer arrays into the Trainer's
 * tensors, documents from text files, the progress bar, stopping at a step boundary on Ctrl-C,
 * family facts looked up in the registry (never named here), and a generic progress line for loops
 * that are not the Trainer's (generation while evaluating). Imported by those commands when they
 * run, so it may load TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HfConfig, ModelEntry, Registry } from '@tfkit/core-tensor';
import type { Batch, TrainerCallback } from '@tfkit/finetune';
import { ProgressCallback } from '@tfkit/finetune';
import { CliError, UsageError, type CliIO } from './command.js';
import { readTextOption } from './inputs.js';

/** Integer arrays by name → int32 tensors (`[B]` or `[B, T]`), what the Trainer's collators return. */
export function toBatch(arrays: Readonly<Record<string, readonly number[] | readonly (readonly number[])[]>>): Batch {
  const batch: Batch = {};
  for (const [name, value] of Object.entries(arrays)) {
    batch[name] = Array.isArray(value[0]) ? tf.tensor2d(value as number[][], undefined, 'int32') : tf.tensor1d(value as number[], 'int32');
  }
  return batch;
}

/**
 * Documents from text files (.txt or .txt.gz): a blank line ends a document, each other line is a
 * sentence (the layout of BERT's pretraining data); a file without blank lines is one document.
 */
export async function readDocuments(files: readonly string[], cwd: string): Promise<string[][]> {
  const documents: string[][] = [];
  for (const file of files) {
    const text = await readTextOption('text file', file, cwd);
    for (const block of text.split(/\r?\n\s*\r?\n/)) {
      const lines = block.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (lines.length) documents.push(lines);
    }
  }
  return documents;
}

/** The Trainer's progress bar on stderr: a redrawn line on a terminal, a line every few steps otherwise. */
export function progressBar(io: CliIO): TrainerCallback {
  return new ProgressCallback({ write: (t) => io.stderr(t), isTTY: io.isTTY });
}

/**
 * Ends training at the next step boundary once `signal` fires (Ctrl-C). Yields to the event loop
 * after each step so the signal can land between synchronous training steps.
 */
export function stopOnSignal(signal: AbortSignal): TrainerCallback {
  return {
    async onStepEnd(state) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) state.shouldStop = true;
    },
  };
}

/** A progress line for loops outside the Trainer (`evaluating [####....] 12/40`), redrawn on a terminal. */
export function simpleProgress(io: CliIO, label: string, total: number): { tick(done: number): void; end(): void } {
  let shownQuarter = -1;
  const bar = (done: number) => {
    const width = 24;
    const full = total ? Math.round((done / total) * width) : width;
    return `${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${done}/${total}`;
  };
  return {
    tick(done) {
      if (io.isTTY) io.stderr(`\r${bar(done)}`);
      else {
        const quarter = total ? Math.floor((done / total) * 4) : 4;
        if (quarter > shownQuarter) {
          shownQuarter = quarter;
          io.stderr(`${bar(done)}\n`);
        }
      }
    },
    end() {
      if (io.isTTY) io.stderr('\n');
    },
  };
}

/** The registry entry of `modelType`, or a usage error listing the registered ones. */
export function familyOf(registry: Registry, modelType: string): ModelEntry {
  const entry = registry.model.tryGet(modelType);
  if (!entry) throw new UsageError(`model type "${modelType}" is not registered; known: ${registry.model.keys().join(', ')}`);
  return entry;
}

/** The config.json key of a common name (`hidden_size`) in this family (`n_embd`), as Hugging Face's attribute_map. */
export function configKey(entry: ModelEntry, name: string): string {
  return entry.attributeMap?.[name] ?? name;
}

/** A config value by its common name, read through the family's attribute map. */
export function configValue(entry: ModelEntry | undefined, config: HfConfig, name: string): unknown {
  return config[entry ? configKey(entry, name) : name] ?? config[name];
}

/**
 * `key=value` pairs of `--set` (repeatable, or comma-separated): config.json keys and values, a
 * value read as JSON when it parses (numbers, booleans, null, lists), else as a string.
 */
export function parseSettings(flag: string, specs: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs ?? []) {
    for (const part of spec.split(/,(?=[^,=]+=)/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`${flag}: expected key=value, got "${part}"`);
      const key = part.slice(0, eq).trim();
      const raw = part.slice(eq + 1).trim();
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        // a plain string
      }
      out[key] = value;
    }
  }
  return out;
}

/** Reads a config.json given with `--config`. */
export async function readConfigFile(file: string, cwd: string): Promise<HfConfig> {
  const text = await readTextOption('--config', file, cwd);
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
    return json as HfConfig;
  } catch (error) {
    throw new CliError(`--config ${file}: not a config.json (${(error as Error).message})`, { cause: error });
  }
}
