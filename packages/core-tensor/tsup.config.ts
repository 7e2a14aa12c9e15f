import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {"index":"src/index.ts","lite":"src/lite.ts"},
  format: ['esm'],
  // Declarations resolve other @tfkit packages through their built d.ts, not the source paths used by typecheck.
  dts: { compilerOptions: { paths: {} } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core keeps its gradients in ESM files (extensionless imports, package not "type": "module")
  // that Node cannot import directly; bundle them into the chunk `loadGradients()` imports lazily.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  // Keep `node:fs/promises` etc. spelled as Node built-ins, so browser bundlers never look for an npm `path` or `fs`.
  removeNodeProtocol: false,
});
