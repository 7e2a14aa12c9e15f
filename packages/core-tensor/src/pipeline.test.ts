import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, NoDefaultModelError, RegistryError } from './errors.js';
import { saveCheckpoint } from './io/checkpoint.js';
import type { Checkpoint, PretrainedModel } from './model-types.js';
import type { DownloadProgress } from './download-progress.js';
import { pipeline } from './pipeline.js';
import { createRegistry, type Registry } from './registry/registry.js';
import { registerTask, setDefaultModel, TaskImplementations, type PipelineFor, type TaskEntry, type TaskImplementation } from './registry/tasks.js';

/** A one-tensor model; `architecture` shows which class the task asked for. */
class Echo implements PretrainedModel {
  readonly weight: tf.Tensor;
  constructor(
    readonly modelType: string,
    readonly architecture: string,
    checkpoint: Checkpoint,
  ) {
    this.weight = tf.clone(checkpoint.weights.get('w') as tf.Tensor);
  }
  async savePretrained(): Promise<void> {}
  dispose(): void {
    this.weight.dispose();
  }
}

/** What the test tasks build: which implementation ran, on which model, with which parts. */
interface Built {
  by: string;
  model: Echo;
  parts: string[];
  dispose(): void;
}

declare module './registry/entries.js' {
  interface TaskEntries {
    'test-echo': TaskEntry<Built>;
  }
}

function family(registry: Registry, modelType: string, taskArchitectures: Record<string, string> = {}): void {
  const arch = (name: string) => ({ fromCheckpoint: (c: Checkpoint) => new Echo(modelType, name, c) });
  registry.model.register(modelType, {
    architectures: { Base: arch('Base'), ForEcho: arch('ForEcho'), ForOther: arch('ForOther') },
    defaultArchitecture: 'Base',
    taskArchitectures,
  });
}

const impl = (by: string, extra: Partial<TaskImplementation<Built>> = {}): TaskImplementation<Built> => ({
  create: (parts) => ({ by, model: parts.model as Echo, parts: Object.keys(parts).sort(), dispose: () => parts.model.dispose() }),
  ...extra,
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-pipeline-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dirs: Record<string, string> = {};
beforeAll(async () => {
  for (const modelType of ['alpha', 'beta', 'gamma']) {
    const dir = path.join(root, modelType);
    const w = tf.ones([2]);
    await saveCheckpoint(dir, { config: { model_type: modelType, architectures: ['Base'] }, weights: new Map([['w', w]]) });
    w.dispose();
    fs.writeFileSync(path.join(dir, 'vocab.txt'), `${modelType}-vocab`);
    dirs[modelType] = dir;
  }
});

describe('registerTask', () => {
  it('keeps one implementation per (task, model type); a duplicate pair is an error unless override', () => {
    const registry = createRegistry();
    registerTask(registry, 'test-echo', 'alpha', impl('alpha-1'), { description: 'echoes' });
    registerTask(registry, 'test-echo', 'beta', impl('beta-1'));
    const entry = registry.task.get('test-echo');
    expect(entry).toBeInstanceOf(TaskImplementations);
    expect(entry.modelTypes).toEqual(['alpha', 'beta']);
    expect(entry.description).toBe('echoes');
    expect(() => registerTask(registry, 'test-echo', 'alpha', impl('alpha-2'))).toThrow(RegistryError);
    expect(() => registerTask(registry, 'test-echo', 'alpha', impl('alpha-2'))).toThrow(/"test-echo" already has an implementation for model type "alpha"; pass \{ override: true \}/);
    expect(entry.implementation?.('alpha')?.create).toBeDefined();
    registerTask(registry, 'test-echo', 'alpha', impl('alpha-2'), { override: true });
    expect(entry.modelTypes).toEqual(['alpha', 'beta']);
    expect(() => registerTask(registry, 'test-echo', '', impl('x'))).toThrow(/model type must be a non-empty string/);
    expect(() => registerTask(registry, 'test-echo', 'delta', {} as TaskImplementation<Built>)).toThrow(/needs a create\(parts\) function/);
  });

  it('create() dispatches on the model type; unknown model types and missing models are typed errors', () => {
    const registry = createRegistry();
    registerTask(registry, 'test-echo', 'alpha', impl('alpha'));
    registerTask(registry, 'test-echo', 'beta', impl('beta'));
    const model = (modelType: string) => ({ modelType, architecture: 'Base', savePretrained: async () => {}, dispose: () => {} });
    expect(registry.task.get('test-echo').create({ model: model('beta') }).by).toBe('beta');
    expect(() => registry.task.get('test-echo').create({ model: model('gamma') })).toThrow(ConfigError);
    expect(() => registry.task.get('test-echo').create({ model: model('gamma') })).toThrow(/model type "gamma" has no test-echo implementation\. Served by: alpha, beta\. .*registerTask\(registry, "test-echo", "gamma"/);
    expect(() => registry.task.get('test-echo').create({})).toThrow(/needs a loaded model/);
  });

  it('does not silently mix with an entry registered directly; override replaces it', () => {
    const registry = createRegistry();
    registry.task.register('test-echo', { create: () => ({ by: 'raw' }) as unknown as Built });
    expect(() => registerTask(registry, 'test-echo', 'alpha', impl('alpha'))).toThrow(/registered as a single entry/);
    expect(() => setDefaultModel(registry, 'test-echo', './x')).toThrow(/not registerTask/);
    registerTask(registry, 'test-echo', 'alpha', impl('alpha'), { override: true });
    expect(registry.task.get('test-echo').modelTypes).toEqual(['alpha']);
  });

  it('types implementations by the task’s declared pipeline', () => {
    expectTypeOf<PipelineFor<'test-echo'>>().toEqualTypeOf<Built>();
    expectTypeOf<PipelineFor<'some-undeclared-task'>>().toEqualTypeOf<unknown>();
    const registry = createRegistry();
    // @ts-expect-error the implementation must build what the task declares
    registerTask(registry, 'test-echo', 'alpha', { create: () => 42 });
  });
});

describe('pipeline()', () => {
  function setup(): Registry {
    const registry = createRegistry();
    family(registry, 'alpha', { 'test-echo': 'ForEcho' });
    family(registry, 'beta');
    family(registry, 'gamma');
    registerTask(registry, 'test-echo', 'alpha', impl('alpha', {
      loadPreprocessor: async ({ files, given, task, config }) => {
        expect(task).toBe('test-echo');
        expect(config['model_type']).toBe('alpha');
        return given['tokenizer'] ? {} : { tokenizer: await files.readText('vocab.txt') };
      },
    }));
    registerTask(registry, 'test-echo', 'beta', impl('beta', { architecture: 'ForOther' }));
    return registry;
  }

  it('builds the model type’s implementation with the task’s architecture and the preprocessor beside the checkpoint', async () => {
    const registry = setup();
    await expectNoLeaks(async () => {
      const alpha = await pipeline('test-echo', dirs['alpha'], { registry });
      expectTypeOf(alpha).toEqualTypeOf<Built>();
      expect(alpha.by).toBe('alpha');
      expect(alpha.model.architecture).toBe('ForEcho'); // the family's taskArchitectures
      expect(alpha.parts).toEqual(['model', 'tokenizer']);
      const beta = await pipeline('test-echo', dirs['beta'], { registry });
      expect([beta.by, beta.model.architecture, beta.parts.join()]).toEqual(['beta', 'ForOther', 'model']); // the implementation's own architecture
      const chosen = await pipeline('test-echo', dirs['alpha'], { registry, architecture: 'Base', tokenizer: 'mine' });
      expect([chosen.model.architecture, chosen.parts.join()]).toEqual(['Base', 'model,tokenizer']);
      for (const p of [alpha, beta, chosen]) p.dispose();
    });
    const before = tf.memory().numTensors;
    const again = await pipeline('test-echo', dirs['alpha'], { registry });
    expect(tf.memory().numTensors).toBe(before + 1); // the model's weight; the checkpoint's tensors are freed
    again.dispose();
  });

  it('names the task and the model types that serve it when the checkpoint’s type has no implementation', async () => {
    const registry = setup();
    await expect(expectNoLeaks(() => pipeline('test-echo', dirs['gamma'], { registry }).catch((e: unknown) => e))).resolves.toSatisfy(
      (e: unknown) => e instanceof ConfigError && /is a "gamma" model, which has no test-echo implementation\. Served by: alpha, beta/.test(e.message),
    );
    await expect(pipeline('no-such-task', dirs['alpha'], { registry })).rejects.toThrow(/registry\.task: unknown key "no-such-task"\. Registered: "test-echo"/);
  });

  it('uses the task’s default model when none is given, and otherwise says to pass one', async () => {
    const registry = setup();
    const error = await pipeline('test-echo', undefined, { registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDefaultModelError);
    expect((error as NoDefaultModelError).task).toBe('test-echo');
    expect((error as Error).message).toMatch(/pipeline\("test-echo"\): this task has no default model; pass one/);
    setDefaultModel(registry, 'test-echo', dirs['beta'] as string);
    expect(() => setDefaultModel(registry, 'test-echo', dirs['alpha'] as string)).toThrow(/already has the default model/);
    const pipe = await pipeline('test-echo', undefined, { registry });
    expect(pipe.by).toBe('beta');
    pipe.dispose();
  });

  it('frees the model when the preprocessor or the pipeline cannot be built', async () => {
    const registry = setup();
    registerTask(registry, 'test-echo', 'alpha', impl('alpha', { loadPreprocessor: ({ files }) => files.readText('missing.json').then(() => ({})) }), { override: true });
    registerTask(registry, 'test-echo', 'beta', { create: () => { throw new ConfigError('no head'); } }, { override: true });
    await expectNoLeaks(async () => {
      await expect(pipeline('test-echo', dirs['alpha'], { registry })).rejects.toThrow(/missing\.json/);
      await expect(pipeline('test-echo', dirs['beta'], { registry })).rejects.toThrow(/no head/);
    });
  });

  it('activates the requested backend first; an unknown one lists the registered backends', async () => {
    const registry = setup();
    const activated: unknown[] = [];
    registry.backend.register('test-backend', {
      priority: 0, description: 'records activation', isSupported: () => true,
      activate: async (o) => (activated.push(o), { backend: tf.getBackend(), threads: 1, notes: [] }),
    });
    registry.backend.register('test-unsupported', { priority: 0, description: 'never here', isSupported: () => false, activate: () => Promise.reject(new Error('unreachable')) });
    const pipe = await pipeline('test-echo', dirs['beta'], { registry, backend: 'test-backend', backendOptions: { threads: 2 } });
    expect(activated).toEqual([{ threads: 2 }]);
    pipe.dispose();
    await expect(pipeline('test-echo', dirs['beta'], { registry, backend: 'test-unsupported' })).rejects.toThrow(/backend "test-unsupported" is not supported/);
    await expect(pipeline('test-echo', dirs['beta'], { registry, backend: 'nope' })).rejects.toThrow(/registry\.backend: unknown key "nope"/);
  });

  it('drives an entry registered directly with registry.task.register for any model type', async () => {
    const registry = setup();
    registry.task.register('test-raw', { create: (parts: Record<string, unknown>) => parts['model'] as Echo });
    const model = (await pipeline('test-raw', dirs['gamma'], { registry })) as Echo;
    expect([model.modelType, model.architecture]).toEqual(['gamma', 'Base']);
    model.dispose();
  });

  it('reports progress per file (file, loaded, total) as a URL source downloads, and per read from a local folder', async () => {
    const registry = setup();
    /** Serves the alpha checkpoint's files over "HTTP" in 3-byte chunks. */
    const serve: typeof fetch = async (input, init) => {
      const name = decodeURIComponent(String(input).replace('https://models.test/alpha/', ''));
      const file = path.join(dirs['alpha'] as string, name);
      if (!fs.existsSync(file)) return new Response(null, { status: 404, statusText: 'Not Found' });
      const bytes = new Uint8Array(fs.readFileSync(file));
      const headers = { 'content-length': String(bytes.byteLength) };
      if (init?.method === 'HEAD') return new Response(null, { status: 200, headers });
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= bytes.byteLength) return controller.close();
          controller.enqueue(bytes.slice(at, (at += 3)));
        },
      });
      return new Response(body, { status: 200, headers });
    };
    const events: DownloadProgress[] = [];
    const pipe = await pipeline('test-echo', 'https://models.test/alpha', { registry, fetch: serve, progressCallback: (p) => events.push(p) });
    expect(pipe.parts).toEqual(['model', 'tokenizer']);
    pipe.dispose();
    const files = [...new Set(events.map((e) => e.file))];
    expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'vocab.txt']));
    for (const file of files) {
      const size = fs.statSync(path.join(dirs['alpha'] as string, file)).size;
      const mine = events.filter((e) => e.file === file);
      expect(mine.map((e) => e.loaded)).toEqual([...mine.map((e) => e.loaded)].sort((a, b) => a - b));
      expect(mine.at(-1)).toEqual({ file, url: `https://models.test/alpha/${file}`, loaded: size, total: size, done: true });
      expect(mine.filter((e) => e.done)).toHaveLength(1);
      if (size > 3) expect(mine.length).toBeGreaterThan(2);
    }
    // A local folder reports its reads: each file once complete (they are under 16 MiB), with its path.
    const local: DownloadProgress[] = [];
    (await pipeline('test-echo', dirs['alpha'], { registry, progressCallback: (p) => local.push(p) })).dispose();
    expect(local.map((e) => e.file).sort()).toEqual([...files].sort());
    for (const event of local) {
      const file = path.join(dirs['alpha'] as string, event.file);
      expect(event).toEqual({ file: event.file, url: file, loaded: fs.statSync(file).size, total: fs.statSync(file).size, done: true });
    }
  });
});
