// Browser tests (`pnpm test:browser`): BERT parity on webgl and webgpu in headless Chromium. The fixtures are
// served by Vite from ../shared/fixtures and read over HTTP, the way a web page loads a checkpoint.
import path from 'node:path';
import { repoRootDir } from '@tfkit/vitest-config';
import { defineTfkitBrowserConfig } from '@tfkit/vitest-config/browser';

const fixturesDir = process.env['TFKIT_FIXTURES'] ?? path.resolve(repoRootDir, '../shared/fixtures');

export default defineTfkitBrowserConfig(import.meta.dirname, {
  define: { __TFKIT_FIXTURES__: JSON.stringify(fixturesDir) },
  server: { fs: { allow: [repoRootDir, fixturesDir] } },
  optimizeDeps: { include: ['@tensorflow/tfjs-backend-webgpu'] },
});
