import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { bin: 'src/bin.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // tfkit's book corpus (`train-lm --books`) is part of the repository, not of the published CLI: imported if present.
  external: ['@tfkit/corpus'],
});
