// Runs the evidence and benchmark scripts (not tests) with the workspace aliases, gradients and
// backends the test setup provides: `npx vitest run --config evidence/vitest.config.ts <file>`.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from '@tfkit/vitest-config';

export default defineConfig({
  root: path.resolve(import.meta.dirname, '..'),
  resolve: { alias: workspaceAliases() },
  test: {
    include: ['evidence/**/*.run.ts', 'bench/**/*.run.ts'],
    environment: 'node',
    testTimeout: 3_600_000,
    pool: 'forks',
    setupFiles: [path.join(repoRootDir, 'tooling/test-utils/src/setup.ts')],
  },
});
