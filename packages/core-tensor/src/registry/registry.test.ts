import { createRegistry, type ModelEntry, type NamespaceSpec, type OptimizerEntry, type TaskEntry, type TfkitPlugin } from '@tfkit/core-tensor';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RegistryError } from '../errors.js';

/* What a plugin author writes: entry types with extra fields, merged into the registry's key maps. */
interface WidgetFamily extends ModelEntry {
  readonly widgetVersion: number;
}
interface WidgetTask extends TaskEntry {
  readonly labels: readonly string[];
}
interface GadgetEntry {
  build(size: number): string;
}
declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    'test-widget': WidgetFamily;
  }
  interface TaskEntries {
    'test-widget-tagging': WidgetTask;
  }
  interface RegistryNamespaces {
    'test-gadget': NamespaceSpec<{ big: GadgetEntry }, GadgetEntry>;
  }
}

const family = (defaultArchitecture = 'A'): ModelEntry => ({ architectures: { A: { fromCheckpoint: () => ({}) as never } }, defaultArchitecture });
const widget: WidgetFamily = { ...family(), widgetVersion: 2 };
const optimizer = (name: string): OptimizerEntry => ({ create: () => name });

function thrown(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

describe('createRegistry', () => {
  it('registers and returns entries per namespace; registries are independent', () => {
    const a = createRegistry();
    const b = createRegistry();
    a.optimizer.register('sgd', optimizer('a-sgd'));
    expect(a.optimizer.get('sgd').create({})).toBe('a-sgd');
    expect(a.optimizer.has('sgd')).toBe(true);
    expect(b.optimizer.has('sgd')).toBe(false);
    expect(a.model.has('sgd')).toBe(false);
    expect(a.optimizer.tryGet('adam')).toBeUndefined();
    expect(a.optimizer.keys()).toEqual(['sgd']);
    expect(a.optimizer.entriesList().map(([k]) => k)).toEqual(['sgd']);
  });

  it('refuses a duplicate key unless { override: true }', () => {
    const registry = createRegistry();
    registry.optimizer.register('adamw', optimizer('first'));
    const error = thrown(() => registry.optimizer.register('adamw', optimizer('second')));
    expect(error.code).toBe('ERR_REGISTRY');
    expect(error.message).toBe('registry.optimizer: "adamw" is already registered; pass { override: true } to replace it');
    expect(registry.optimizer.get('adamw').create({})).toBe('first');
    registry.optimizer.register('adamw', optimizer('second'), { override: true });
    expect(registry.optimizer.get('adamw').create({})).toBe('second');
  });

  it('names the registered keys when a key is unknown', () => {
    const registry = createRegistry();
    expect(thrown(() => registry.model.get('bert')).message).toBe('registry.model: unknown key "bert". Registered: (none). Register it first, e.g. with the family\'s register function.');
    registry.model.register('gpt2', family());
    registry.model.register('vit', family());
    expect(thrown(() => registry.model.get('bert')).message).toMatch(/^registry\.model: unknown key "bert"\. Registered: "gpt2", "vit"\./);
    expect(thrown(() => registry.model.register('', family())).message).toMatch(/key must be a non-empty string/);
  });

  it('treats prototype names (toString, __proto__, constructor) as ordinary unknown or registered keys', () => {
    const registry = createRegistry();
    registry.model.register('gpt2', family());
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(registry.model.has(key), key).toBe(false);
      expect(registry.model.tryGet(key), key).toBeUndefined();
      expect(thrown(() => registry.model.get(key)).message, key).toMatch(new RegExp(`^registry\\.model: unknown key "${key}"\\. Registered: "gpt2"`));
      expect(thrown(() => registry.ns(key as 'model').get('x')).message).toMatch(/unknown key "x"\. Registered: \(none\)/);
    }
    registry.model.register('__proto__', family('Proto'));
    expect(registry.model.get('__proto__').defaultArchitecture).toBe('Proto');
    expect(registry.model.keys()).toEqual(['gpt2', '__proto__']);
    expect(({} as Record<string, unknown>)['defaultArchitecture']).toBeUndefined(); // nothing leaked into Object.prototype
  });

  it('unregisters', () => {
    const registry = createRegistry();
    registry.scheduler.register('linear', { create: () => 'linear' });
    expect(registry.scheduler.unregister('linear')).toBe(true);
    expect(registry.scheduler.unregister('linear')).toBe(false);
    expect(registry.scheduler.keys()).toEqual([]);
  });

  it('types known keys through declaration merging, and still accepts any other string', () => {
    const registry = createRegistry();
    registry.model.register('test-widget', widget);
    registry.task.register('test-widget-tagging', { labels: ['a', 'b'], create: () => 'pipeline' });
    expectTypeOf(registry.model.get('test-widget')).toEqualTypeOf<WidgetFamily & ModelEntry>();
    expectTypeOf(registry.model.get('test-widget').widgetVersion).toEqualTypeOf<number>();
    expectTypeOf(registry.task.get('test-widget-tagging').labels).toEqualTypeOf<readonly string[]>();
    expectTypeOf(registry.model.tryGet('someone-elses-model')).toEqualTypeOf<ModelEntry | undefined>();
    expect(registry.model.get('test-widget').widgetVersion).toBe(2);
    expect(registry.task.get('test-widget-tagging').labels).toEqual(['a', 'b']);

    // @ts-expect-error a known key must get its declared entry type (widgetVersion is missing)
    registry.model.register('test-widget', family(), { override: true });
    // @ts-expect-error every entry must satisfy the namespace's base type
    registry.model.register('untyped', { defaultArchitecture: 'A' });
  });

  it('reaches namespaces that plugins declare, through ns()', () => {
    const registry = createRegistry();
    const gadgets = registry.ns('test-gadget');
    expect(gadgets).toBe(registry.ns('test-gadget'));
    gadgets.register('big', { build: (n) => 'x'.repeat(n) });
    expectTypeOf(gadgets.get('big').build).toEqualTypeOf<(size: number) => string>();
    expect(gadgets.get('big').build(3)).toBe('xxx');
    expect(registry.ns('model')).toBe(registry.model);
    expect(thrown(() => gadgets.get('small')).message).toMatch(/^registry\.test-gadget: unknown key "small"\. Registered: "big"/);
  });

  it('runs a plugin once through use(), and records it', () => {
    const registry = createRegistry();
    let calls = 0;
    const plugin: TfkitPlugin = {
      name: 'widgets',
      register(r) {
        calls++;
        r.model.register('test-widget', widget);
      },
    };
    expect(registry.use(plugin)).toBe(registry);
    registry.use(plugin); // a second use is a no-op, not a duplicate-key error
    expect(calls).toBe(1);
    expect(registry.plugins).toEqual(['widgets']);
    expect(registry.model.get('test-widget').widgetVersion).toBe(2);
    expect(createRegistry().plugins).toEqual([]);
  });
});
