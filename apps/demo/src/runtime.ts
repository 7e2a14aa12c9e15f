/**
 * What the page runs on: a registry with the three browser backends, the tiny GPT-2 loaded from
 * the site's own `models/tiny-gpt2/` (a URL source) and its tokenizer. Switching backends reloads
 * the model onto the new one.
 */
import { createRegistry, type BackendActivation } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, registerWebglBackend, useBackend } from '@tfkit/backends';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer, type TokenizerConfigJson, type TokenizerJson } from '@tfkit/tokenizers';
// Vite copies the binaries into the build and gives their URLs; tfjs fetches the one it needs.
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKENDS = ['wasm', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': plainWasm,
  'tfjs-backend-wasm-simd.wasm': simdWasm,
  'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
};

/** The model's folder, relative to the page, so the site works from any path. */
export function modelUrl(): string {
  return new URL('models/tiny-gpt2/', document.baseURI).href;
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status} ${response.statusText}`);
  return (await response.json()) as T;
}

/** The tokenizer, from the model folder's tokenizer.json and tokenizer_config.json. */
export async function loadTokenizer(base: string): Promise<Tokenizer> {
  const [json, config] = await Promise.all([
    fetchJson<TokenizerJson>(`${base}tokenizer.json`),
    fetchJson<TokenizerConfigJson>(`${base}tokenizer_config.json`),
  ]);
  return Tokenizer.fromJSON(json, config);
}

export class Runtime {
  private readonly registry = createRegistry();
  private current: GPT2LMHeadModel | undefined;
  activation: BackendActivation | undefined;

  constructor(readonly baseUrl: string) {
    registerWasmBackend(this.registry);
    registerWebglBackend(this.registry);
    registerCpuBackend(this.registry);
  }

  get model(): GPT2LMHeadModel {
    if (!this.current) throw new Error('the model is not loaded yet');
    return this.current;
  }

  /**
   * Activates `backend` and loads the model onto it. If the backend cannot start, the previous one
   * is restored (and the model reloaded) before the error is passed on.
   */
  async use(backend: BackendName): Promise<BackendActivation> {
    const previous = this.activation?.backend;
    this.current?.dispose();
    this.current = undefined;
    try {
      this.activation = await useBackend(this.registry, backend, { wasmPaths: WASM_PATHS });
    } catch (error) {
      if (previous !== undefined && previous !== backend) await this.use(previous as BackendName);
      throw error;
    }
    this.current = await GPT2LMHeadModel.fromPretrained(this.baseUrl);
    return this.activation;
  }
}
