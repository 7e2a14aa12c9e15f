// Browser tests (`pnpm test:browser`): the gradient suite on webgl and wasm in headless Chromium,
// driven by Playwright. Debian's /usr/bin/chromium is used (CHROMIUM_PATH overrides); Playwright
// never downloads a browser. Software WebGL comes from SwiftShader, so no GPU is needed.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from '@tfkit/vitest-config';

export default defineConfig({
  root: import.meta.dirname,
  resolve: {
    alias: [
      // Only the tensor assertions: the fixtures half of test-utils reads files with node:fs.
      { find: /^@tfkit\/test-utils$/, replacement: path.join(repoRootDir, 'tooling/test-utils/src/tensors.ts') },
      ...workspaceAliases(),
    ],
  },
  // Cross-origin isolation gives the page SharedArrayBuffer, so the threaded wasm binary can run.
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
  optimizeDeps: {
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl'],
  },
  test: {
    include: ['src/**/*.browser.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default', ['json', { outputFile: path.join(repoRootDir, '.vitest-results', 'backends-browser.json') }]],
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
            args: [
              '--no-sandbox',
              '--use-angle=swiftshader',
              '--enable-unsafe-swiftshader',
              '--disable-background-networking',
              '--disable-component-update',
              '--no-first-run',
            ],
          },
        },
      ],
    },
  },
});
