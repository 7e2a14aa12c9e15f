/**
 * `tfkit quantize <in> <out>`: re-saves a checkpoint folder with its weights stored as int8 with
 * per-channel scales (tfkit's own format, about a quarter of float32) or as float16 (the
 * interchange format), copying the folder's other files (tokenizer, model card) alongside.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, UsageError, type Command } from '../command.js';
import { intOption } from '../inputs.js';
import { activateBackend } from './common.js';

const usage = `Usage: tfkit quantize [--dtype int8|float16] [--min-elements <n>] <in> <out>

Writes the checkpoint folder <in> to <out> with smaller weights, and copies <in>'s other files
(tokenizer, README.md, …) alongside. tfkit loads the result as float32, as it loads any checkpoint.

  int8     Each 2-D weight of at least --min-elements values is stored as I8 with one float32
           scale per channel (symmetric, round to nearest: every value within half a step of the
           original), in "<name>.__scale": per row or per column, whichever has the smaller
           error (the output channel, for trained weights); biases, norms and small tensors stay
           float32.
           This is tfkit's own format (marked "tfkit_quantization" in the safetensors metadata):
           Hugging Face tools would read the int8 values as they are. Share float16 instead.
  float16  Every float weight as float16: half the size, readable everywhere.

Options:
  --dtype <d>         int8 (default) or float16
  --min-elements <n>  With int8: quantize only matrices with at least n values (default 1024)
`;

/** The weight files, configs and index that the new save replaces: everything else is copied. */
const REPLACED = /^(model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json|config\.json|generation_config\.json)$/;

export const quantizeCommand: Command = {
  name: ['quantize'],
  summary: 'Store a checkpoint\'s weights as int8 with per-channel scales (or float16), loaded back as float32',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { dtype: { type: 'string', default: 'int8' }, 'min-elements': { type: 'string' } },
      strict: true,
    });
    if (positionals.length !== 2) throw new UsageError('give the checkpoint folder to read and the folder to write: tfkit quantize <in> <out>');
    const dtype = values.dtype;
    if (dtype !== 'int8' && dtype !== 'float16') throw new UsageError(`--dtype must be int8 or float16, got ${JSON.stringify(dtype)}`);
    const minElements = intOption('--min-elements', values['min-elements'], 1) ?? 1024;
    const [input, output] = positionals.map((p) => path.resolve(ctx.io.cwd, p)) as [string, string];
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat?.isDirectory()) throw new CliError(`${input}: not a checkpoint folder (config.json + model.safetensors)`);
    if (path.relative(input, output) === '') throw new UsageError('<out> must differ from <in>: quantize never overwrites the original weights');

    const { loadCheckpoint, saveCheckpoint } = await import('@tfkit/core-tensor');
    // The weights pass through tensors: a fresh process has no backend yet. Quantizing is data
    // conversion, so cpu (always there) serves; a backend already registered (by a script that
    // runs the CLI in-process) is used as it is.
    const tf = await import('@tensorflow/tfjs-core');
    if (tf.engine().backendNames().length === 0) await activateBackend(ctx, 'cpu');
    const checkpoint = await loadCheckpoint(input);
    let before = 0;
    let after = 0;
    try {
      const { format: _format, tfkit_quantization: _marker, ...metadata } = checkpoint.metadata;
      await saveCheckpoint(output, {
        config: checkpoint.config,
        ...(checkpoint.generationConfig ? { generationConfig: checkpoint.generationConfig } : {}),
        weights: checkpoint.weights,
        metadata,
        dtype,
        int8MinElements: minElements,
        // A checkpoint does not say which axis is a weight's output channel ([out, in] for most
        // layers, [in, out] for GPT-2's Conv1D): the one that quantizes with the smaller error is.
        int8Axis: 'auto',
      });
    } finally {
      for (const t of checkpoint.weights.values()) t.dispose();
    }
    for (const name of await fs.readdir(input)) {
      const from = path.join(input, name);
      if (REPLACED.test(name)) {
        if (/safetensors$/.test(name)) before += (await fs.stat(from)).size;
        continue;
      }
      if ((await fs.stat(from)).isFile()) await fs.copyFile(from, path.join(output, name));
    }
    for (const name of await fs.readdir(output)) if (/safetensors$/.test(name)) after += (await fs.stat(path.join(output, name))).size;
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    ctx.io.stdout(`wrote ${output}: weights ${mb(before)} → ${mb(after)} (${dtype})\n`);
    return 0;
  },
};
