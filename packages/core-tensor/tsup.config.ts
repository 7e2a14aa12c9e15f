import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';
import { mergeTfjsImports, tfjsPublicFacades } from './tfjs-gradients-plugin.mjs';

export default defineConfig([
  libraryTsup({
    // `errors` and `random`: the typed errors and the seeded generator alone, for code that must not
    // reach the rest of lite (a tokenizer page: bundlers keep lite's file sources with anything from it).
    // `tfkit-error` (the base class alone) is an entry only so that the build keeps that class in a chunk
    // of its own: a tokenizer page then loads it without the other error classes (which lite's loaders
    // use). It is not in package.json's exports.
    entry: { index: 'src/index.ts', lite: 'src/lite.ts', errors: 'src/errors.ts', random: 'src/random.ts', 'tfkit-error': 'src/tfkit-error.ts' },
    // `loadGradients()` imports the gradients file below lazily.
    external: ['./tfjs-gradients.js'],
    // index and lite share their chunks (one copy of the registry, errors and settings).
    treeshake: true,
    // Keep `node:` specifiers: a Node built-in must never be mistaken for an npm `path` or `fs`.
    removeNodeProtocol: false,
  }),
  {
    // tfjs-core keeps its gradients in ESM files (extensionless imports, package not "type": "module")
    // that Node cannot import directly: bundle them into one ESM file.
    entry: { 'tfjs-gradients': 'src/tfjs-gradients.ts' },
    format: ['esm'],
    noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
    // Their imports of tfjs-core's ops and helpers go to its public API (the plugin's comment says how).
    esbuildPlugins: [tfjsPublicFacades()],
    plugins: [mergeTfjsImports()],
    // Third-party code, read by no one: minified it installs in 0.1 MiB instead of 0.3.
    minify: true,
    target: 'es2022',
  },
]);
