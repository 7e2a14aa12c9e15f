import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryTsup({
    entry: { index: 'src/index.ts', lite: 'src/lite.ts' },
    // tfjs-core keeps its gradients in ESM files (extensionless imports, package not "type": "module")
    // that Node cannot import directly; bundle them into the chunk `loadGradients()` imports lazily.
    noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
    // Keep `node:fs/promises` etc. spelled as Node built-ins, so browser bundlers never look for an npm `path` or `fs`.
    removeNodeProtocol: false,
  }),
);
