/**
 * `tfkit export onnx <model> <dir>`: a checkpoint as the ONNX folder transformers.js and ONNX
 * Runtime load (config.json, tokenizer files, onnx/model.onnx or the family's split files).
 */
import { parseArgs } from 'node:util';
import { CliError, UsageError, type Command } from '../command.js';
import { intOption, sourceOption } from '../inputs.js';
import { activateBackend, warnNewlyInitialised } from './common.js';

const usage = `Usage: tfkit export onnx <model> <dir> [options]

Writes <model> (a checkpoint directory, URL or hub id) to <dir> as ONNX, in the folder layout
transformers.js and Optimum use: config.json, the tokenizer / preprocessor files beside the
checkpoint, and onnx/model.onnx (encoder-decoders: onnx/encoder_model.onnx, onnx/decoder_…).
A LoRA adapter must be merged into its model first (tfkit finetune --merge, or mergeAndUnload()).

Options:
  --opset <n>            ONNX opset, 14 to 21 (default 14; LayerNormalization from 17, Gelu from 20)
  --task <task>          Export the class a task uses (fill-mask, text-classification, …); default:
                         the checkpoint's architecture
  --architecture <name>  Export this class (one of the family's Hugging Face class names) instead
  --with-past            Decoders: past key/value inputs and present outputs, as transformers.js uses
  --fix <axis=size>      Fix a dynamic axis (batch_size=1); repeatable. Default: every axis dynamic
  --external-data        Weights in onnx/<name>.onnx_data (default only past protobuf's 2 GiB limit)
  --json                 Print the written files as JSON
  --backend <name>       cpu, wasm, … used to load the model (default: the fastest available here)
`;

function fixedAxes(values: string[] | undefined): Record<string, number> | undefined {
  if (!values?.length) return undefined;
  const axes: Record<string, number> = {};
  for (const v of values) {
    const m = /^([A-Za-z_][\w.]*)=(\d+)$/.exec(v);
    if (!m || Number(m[2]) < 1) throw new UsageError(`--fix ${v}: expected <axis>=<size> with a positive size, e.g. --fix batch_size=1`);
    axes[m[1] as string] = Number(m[2]);
  }
  return axes;
}

export const exportOnnxCommand: Command = {
  name: ['export', 'onnx'],
  summary: 'Export a model to ONNX (transformers.js / ONNX Runtime folder layout)',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        opset: { type: 'string' },
        task: { type: 'string' },
        architecture: { type: 'string' },
        'with-past': { type: 'boolean', default: false },
        fix: { type: 'string', multiple: true },
        'external-data': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
    });
    if (positionals.length !== 2) throw new UsageError('expected <model> <dir>: the checkpoint to export and the folder to write');
    const [modelArg, dirArg] = positionals as [string, string];
    if (values.task !== undefined && values.architecture !== undefined) throw new UsageError('give --task or --architecture, not both');
    const opset = intOption('--opset', values.opset, 1);
    const dynamicAxes = fixedAxes(values.fix);
    const source = sourceOption('<model>', modelArg, ctx.io.cwd);
    const path = await import('node:path');
    const dir = path.resolve(ctx.io.cwd, dirArg);

    const registry = await activateBackend(ctx, values.backend);
    const [{ AutoModel, openSource }, { exportOnnx }] = await Promise.all([import('@tfkit/core-tensor'), import('@tfkit/onnx')]);
    let architecture = values.architecture;
    if (values.task !== undefined) {
      const config = await (await openSource(source)).readJson<{ model_type?: unknown }>('config.json');
      const type = String(config.model_type);
      const byTask = registry.model.get(type).taskArchitectures ?? {};
      architecture = byTask[values.task];
      if (architecture === undefined) {
        throw new CliError(`--task ${values.task}: ${type} models have no class for it; tasks: ${Object.keys(byTask).join(', ') || '(none)'}`);
      }
    }
    const model = await AutoModel.fromPretrained(source, { registry, ...(architecture === undefined ? {} : { architecture }) });
    try {
      warnNewlyInitialised(model, modelArg, ctx);
      const result = await exportOnnx(model, dir, {
        registry,
        ...(opset === undefined ? {} : { opset }),
        ...(dynamicAxes === undefined ? {} : { dynamicAxes }),
        ...(values.task === undefined ? {} : { task: values.task }),
        withPast: values['with-past'],
        externalData: values['external-data'] ? true : 'auto',
        copyFrom: source,
      });
      if (values.json) {
        ctx.io.stdout(`${JSON.stringify({ dir, architecture: model.architecture, opset: result.opset, files: result.files }, null, 2)}\n`);
      } else {
        ctx.io.stdout(`Exported ${model.architecture} (opset ${result.opset}) to ${dir}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};
