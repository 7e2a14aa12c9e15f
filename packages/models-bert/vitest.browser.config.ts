// Browser tests (`pnpm test:browser`): BERT parity on webgl in headless Chromium (SwiftShader, no
// GPU needed), as packages/backends sets it up. The fixtures are served by Vite from
// ../shared/fixtures and read over HTTP, the way a web page loads a checkpoint.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from '@tfkit/vitest-config';

const fixturesDir = process.env['TFKIT_FIXTURES'] ?? path.resolve(repoRootDir, '../shared/fixtures');

export default defineConfig({
  root: import.meta.dirname,
  resolve: {
    alias: [
      // Only the tensor assertions: the fixtures half of test-utils reads files with node:fs.
      { find: /^@tfkit\/test-utils$/, replacement: path.join(repoRootDir, 'tooling/test-utils/src/tensors.ts') },
      ...workspaceAliases(),
    ],
  },
  define: { __TFKIT_FIXTURES__: JSON.stringify(fixturesDir) },
  server: { fs: { allow: [repoRootDir, fixturesDir] } },
  optimizeDeps: {
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl'],
  },
  test: {
    include: ['src/**/*.browser.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default', ['json', { outputFile: path.join(repoRootDir, '.vitest-results', 'models-bert-browser.json') }]],
    browser: {
      enabled: true,
      provider: 'playwright',
      headless: true,
      screenshotFailures: false,
      instances: [
        {
          browser: 'chromium',
          launch: {
            executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
            args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
          },
        },
      ],
    },
  },
});
