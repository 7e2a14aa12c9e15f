// The tsup build every tfkit library shares: ES2022 as both ESM (`import`) and CommonJS
// (`require`, any Node ≥ 20), each with its declarations (.d.ts / .d.cts) that resolve other
// @tfkit packages through their built d.ts (not the source `paths` that typecheck uses). No
// source maps: the output is unminified and readable, and maps would double what users install.
// `shims` gives the CommonJS build a working `import.meta.url`; `splitting` lets its entries share
// chunks (and keeps lazily imported code such as the tokenizer trainer in chunks of its own). A package passes what differs:
// its entries, bundling or `node:` handling.

/** @param {import('tsup').Options} [overrides] @returns {import('tsup').Options} */
export function libraryTsup(overrides = {}) {
  return {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {} } },
    sourcemap: false,
    shims: true,
    splitting: true,
    clean: true,
    target: 'es2022',
    ...overrides,
  };
}
