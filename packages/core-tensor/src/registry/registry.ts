/**
 * The plugin registry: string keys per namespace, explicit registration, an error on duplicates
 * unless `{ override: true }`, and an error listing the registered keys on an unknown key.
 * Modelled on tfjs-core's kernel registry, but one instance per `createRegistry()` call, so two
 * apps (or two tests) never see each other's plugins.
 */
import { RegistryError } from '../errors.js';
import type { NamespaceSpec, RegistryNamespaces } from './entries.js';

export interface RegisterOptions {
  /** Replace an existing entry instead of failing. */
  override?: boolean;
}

type Known<N extends keyof RegistryNamespaces> = RegistryNamespaces[N] extends NamespaceSpec<infer K, unknown> ? K : never;
type Base<N extends keyof RegistryNamespaces> = RegistryNamespaces[N] extends NamespaceSpec<unknown, infer B> ? B : never;
/** Known keys get autocompletion; any other string is still accepted. */
export type RegistryKey<N extends keyof RegistryNamespaces> = Extract<keyof Known<N>, string> | (string & {});
type EntryFor<N extends keyof RegistryNamespaces, K extends string> = K extends keyof Known<N> ? Known<N>[K] & Base<N> : Base<N>;

export class Namespace<N extends keyof RegistryNamespaces> {
  readonly name: N;
  private readonly entries = new Map<string, Base<N>>();

  constructor(name: N) {
    this.name = name;
  }

  register<K extends RegistryKey<N>>(key: K, entry: EntryFor<N, K>, options: RegisterOptions = {}): void {
    if (typeof key !== 'string' || key.length === 0) throw new RegistryError(`registry.${this.name}: key must be a non-empty string`);
    if (this.entries.has(key) && !options.override) {
      throw new RegistryError(`registry.${this.name}: "${key}" is already registered; pass { override: true } to replace it`);
    }
    this.entries.set(key, entry as Base<N>);
  }

  get<K extends RegistryKey<N>>(key: K): EntryFor<N, K> {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const known = this.keys();
      throw new RegistryError(
        `registry.${this.name}: unknown key "${key}". Registered: ${known.length ? known.map((k) => `"${k}"`).join(', ') : '(none)'}` +
          `. Register it first, e.g. with the family's register function.`,
      );
    }
    return entry as EntryFor<N, K>;
  }

  tryGet<K extends RegistryKey<N>>(key: K): EntryFor<N, K> | undefined {
    return this.entries.get(key) as EntryFor<N, K> | undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  unregister(key: string): boolean {
    return this.entries.delete(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  entriesList(): [string, Base<N>][] {
    return [...this.entries];
  }
}

export type CoreNamespaceName = 'backend' | 'model' | 'task' | 'tokenizer' | 'optimizer' | 'scheduler' | 'adapter';

export type Registry = { readonly [N in CoreNamespaceName]: Namespace<N> } & {
  /** Any namespace, including ones that plugins declare by merging into `RegistryNamespaces`. */
  ns<N extends keyof RegistryNamespaces>(name: N): Namespace<N>;
  /** Plugins registered through `use()`, in order. */
  readonly plugins: readonly string[];
  /** Runs a plugin's register function once; a second `use` of the same plugin name is a no-op. */
  use(plugin: TfkitPlugin): Registry;
};

/** A third-party plugin: a name and a function that registers entries. */
export interface TfkitPlugin {
  readonly name: string;
  register(registry: Registry): void;
}

const CORE: readonly CoreNamespaceName[] = ['backend', 'model', 'task', 'tokenizer', 'optimizer', 'scheduler', 'adapter'];

export function createRegistry(): Registry {
  const namespaces = new Map<string, Namespace<keyof RegistryNamespaces>>();
  const plugins: string[] = [];
  const ns = <N extends keyof RegistryNamespaces>(name: N): Namespace<N> => {
    let space = namespaces.get(name);
    if (!space) {
      space = new Namespace(name) as unknown as Namespace<keyof RegistryNamespaces>;
      namespaces.set(name, space);
    }
    return space as unknown as Namespace<N>;
  };
  const registry = {
    ns,
    plugins,
    use(plugin: TfkitPlugin) {
      if (!plugins.includes(plugin.name)) {
        plugin.register(registry);
        plugins.push(plugin.name);
      }
      return registry;
    },
  } as unknown as Registry;
  for (const name of CORE) Object.defineProperty(registry, name, { get: () => ns(name), enumerable: true });
  return registry;
}
