/**
 * `tfkit info`: versions, backends (available, and the one activated), and what the registry knows.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { CLI_VERSION } from '../version.js';

const usage = `Usage: tfkit info [--backend <name>] [--json]

Prints tfkit's and TensorFlow.js's versions, the backends that can run here and which one is
active (with its thread count), and the model types, tasks and tokenizers registered.

Options:
  --backend <name>  Activate this backend (cpu, wasm, webgl, webgpu) instead of the default
  --json            Print one JSON object instead of text
`;

export const infoCommand: Command = {
  name: ['info'],
  summary: 'Versions, backends and registered models, tasks and tokenizers',
  usage,
  async run(argv, ctx) {
    const { values } = parseArgs({ args: argv, options: { backend: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
    const registry = await ctx.registry();
    const [tf, { availableBackends, useBackend }] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tfkit/backends')]);
    const available = await availableBackends(registry);
    const activation = await useBackend(registry, values.backend);
    const report = {
      tfkit: CLI_VERSION,
      tfjsCore: tf.version_core,
      node: process.version,
      backends: { registered: registry.backend.keys(), available, active: activation },
      models: registry.model.keys(),
      tasks: registry.task.keys(),
      pretraining: Object.fromEntries(registry.model.keys().flatMap((m) => {
        const objectives = Object.keys(registry.model.get(m).pretraining?.objectives ?? {});
        return objectives.length ? [[m, objectives]] : [];
      })),
      tokenizers: registry.tokenizer.keys(),
      optimizers: registry.optimizer.keys(),
      schedulers: registry.scheduler.keys(),
      adapters: registry.adapter.keys(),
    };
    if (values.json) {
      ctx.io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const list = (items: string[]) => (items.length ? items.join(', ') : '(none)');
    ctx.io.stdout(
      [
        `tfkit        ${report.tfkit}`,
        `tfjs-core    ${report.tfjsCore}`,
        `node         ${report.node}`,
        '',
        `backends     ${list(report.backends.registered)} (available here: ${list(available)})`,
        `active       ${activation.backend}, ${activation.threads} thread${activation.threads === 1 ? '' : 's'}${activation.simd === undefined ? '' : activation.simd ? ', SIMD' : ', no SIMD'}`,
        ...activation.notes.map((n) => `             ${n}`),
        '',
        `models       ${list(report.models)}`,
        `tasks        ${list(report.tasks)}`,
        `pretraining  ${list(Object.entries(report.pretraining).map(([m, o]) => `${m} (${o.join(', ')})`))}`,
        `tokenizers   ${list(report.tokenizers)}`,
        `optimizers   ${list(report.optimizers)}`,
        `schedulers   ${list(report.schedulers)}`,
        `adapters     ${list(report.adapters)}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
