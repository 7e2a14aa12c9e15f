// `pnpm test:browser`: the end-to-end test. It serves the built site (dist/) with a plain Node
// static server and drives Debian's Chromium with playwright-core; its Node half (the reference
// generations) imports the workspace packages from source, like every other tfkit test.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from '@tfkit/vitest-config';

export default defineConfig({
  root: import.meta.dirname,
  resolve: { alias: workspaceAliases() },
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    pool: 'forks',
    // One browser at a time on a 2-core machine.
    fileParallelism: false,
    globalSetup: ['e2e/global-setup.ts'],
    // Generous: a loaded 2-core CI machine runs Chromium (SwiftShader) several times slower than a
    // quiet one. The timeouts only guard against a hang; the test asserts nothing about time.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Counted by `pnpm test:all` with every other package's results.
    reporters: ['default', ['json', { outputFile: path.join(repoRootDir, '.vitest-results', 'demo-browser.json') }]],
  },
});
