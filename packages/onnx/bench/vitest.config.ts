// `pnpm bench`: runs bench/*.bench.ts through Vitest, which resolves @tfkit/* to sources and
// registers tfjs's backends (tooling/test-utils setup) as the tests do.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from '@tfkit/vitest-config';

export default defineConfig({
  root: path.resolve(import.meta.dirname, '..'),
  resolve: { alias: workspaceAliases() },
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 1_800_000,
    setupFiles: [path.join(repoRootDir, 'tooling/test-utils/src/setup.ts')],
  },
});
