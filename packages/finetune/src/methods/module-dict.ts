/** A string-keyed container of modules (PyTorch `nn.ModuleDict`): children are named by key. */
import { TfkitError } from '@tfkit/core-tensor';
import { Module } from '@tfkit/layers';

export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();

  override namedChildren(): [string, Module][] {
    return [...this.items];
  }

  override getModule(path: string): Module {
    if (!path) return this;
    const dot = path.indexOf('.');
    const key = dot < 0 ? path : path.slice(0, dot);
    const item = this.items.get(key);
    if (!item) throw new TfkitError('ERR_MODULE_PATH', `no module "${key}" in a dict of [${this.keys().join(', ')}]`);
    return dot < 0 ? item : item.getModule(path.slice(dot + 1));
  }

  get(key: string): M | undefined {
    return this.items.get(key);
  }

  set(key: string, module: M): void {
    if (!key || key.includes('.')) throw new TfkitError('ERR_MODULE_PATH', `ModuleDict keys must be non-empty and contain no ".", got "${key}"`);
    this.items.set(key, module);
  }

  delete(key: string): boolean {
    const item = this.items.get(key);
    item?.dispose();
    return this.items.delete(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }
}
