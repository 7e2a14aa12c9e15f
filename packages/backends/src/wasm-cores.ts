/**
 * tfjs-backend-wasm sizes its XNNPACK thread pool as
 *   min(requested, 8, emscripten_num_logical_cores() / 2)
 * halving the core count on the guess that half the logical cores are hyper-threads. On a 2-core
 * machine that leaves one thread whatever `setThreadsCount` asks for. While the hook below is
 * installed, an Emscripten module instantiated here is told it has `2 · threads` logical cores,
 * so the pool gets exactly the `threads` that `setThreadsCount` requested. Nothing else changes:
 * modules that do not import `emscripten_num_logical_cores` pass through untouched.
 */
type Imports = WebAssembly.Imports | undefined;

function withCoreCount(imports: Imports, cores: number): Imports {
  const env = imports?.['env'];
  if (!env || typeof env['emscripten_num_logical_cores'] !== 'function') return imports;
  return { ...imports, env: { ...env, emscripten_num_logical_cores: () => cores } };
}

/** Installs the hook; call the returned function to remove it. */
export function reportLogicalCores(cores: number): () => void {
  const wasm = WebAssembly as unknown as {
    instantiate: (source: unknown, imports?: Imports) => Promise<unknown>;
    instantiateStreaming?: (source: unknown, imports?: Imports) => Promise<unknown>;
  };
  const instantiate = wasm.instantiate;
  const instantiateStreaming = wasm.instantiateStreaming;
  wasm.instantiate = (source, imports) => instantiate.call(WebAssembly, source, withCoreCount(imports, cores));
  if (instantiateStreaming) {
    wasm.instantiateStreaming = (source, imports) => instantiateStreaming.call(WebAssembly, source, withCoreCount(imports, cores));
  }
  return () => {
    wasm.instantiate = instantiate;
    if (instantiateStreaming) wasm.instantiateStreaming = instantiateStreaming;
  };
}
