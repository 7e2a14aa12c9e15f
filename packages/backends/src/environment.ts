/** What the current JavaScript platform offers, checked without importing any backend. */
import type * as NodeModule from 'node:module';
import type * as NodeOs from 'node:os';
import type * as NodeWorkerThreads from 'node:worker_threads';

interface NodeBuiltins {
  'node:os': typeof NodeOs;
  'node:module': typeof NodeModule;
  'node:worker_threads': typeof NodeWorkerThreads;
}

/**
 * Imports a Node.js built-in. Only Node code paths call it; the specifier is a variable with
 * bundler-ignore hints so browser bundles neither resolve nor polyfill it.
 */
export function importNodeBuiltin<K extends keyof NodeBuiltins>(name: K): Promise<NodeBuiltins[K]> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name) as Promise<NodeBuiltins[K]>;
}

interface NodeProcessLike {
  versions?: { node?: string };
  release?: { name?: string };
}

/** True in Node.js (not in a browser, even one that polyfills `process`). */
export function isNode(): boolean {
  const p = (globalThis as { process?: NodeProcessLike }).process;
  return typeof p?.versions?.node === 'string' && p.release?.name === 'node';
}

/** Logical CPU cores: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers. */
export async function logicalCores(): Promise<number> {
  if (isNode()) {
    const os = await importNodeBuiltin('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/**
 * Whether WebAssembly threads can run: shared memory must exist, and in a browser the page must be
 * cross-origin isolated (served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`), without which browsers withhold SharedArrayBuffer.
 */
export function sharedMemoryAvailable(): { ok: boolean; reason?: string } {
  if (typeof SharedArrayBuffer === 'undefined') {
    return {
      ok: false,
      reason: isNode()
        ? 'SharedArrayBuffer is unavailable in this Node.js build'
        : 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)',
    };
  }
  if (!isNode() && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return { ok: false, reason: 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)' };
  }
  return { ok: true };
}

export function hasWebGL(): boolean {
  const g = globalThis as { WebGL2RenderingContext?: unknown; WebGLRenderingContext?: unknown; OffscreenCanvas?: unknown; document?: unknown };
  const canvas = g.OffscreenCanvas !== undefined || g.document !== undefined;
  return canvas && (g.WebGL2RenderingContext !== undefined || g.WebGLRenderingContext !== undefined);
}

export function hasWebGPU(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav?.gpu !== undefined && nav.gpu !== null;
}
