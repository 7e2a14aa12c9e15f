// The tsup build every tfkit library shares: ESM for ES2022 with source maps, and declarations
// that resolve other @tfkit packages through their built d.ts (not the source `paths` that
// typecheck uses). A package passes what differs: its entries, bundling or `node:` handling.

/** @param {import('tsup').Options} [overrides] @returns {import('tsup').Options} */
export function libraryTsup(overrides = {}) {
  return {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: { compilerOptions: { paths: {} } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    ...overrides,
  };
}
