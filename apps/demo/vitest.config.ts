// Unit tests of the page's pure helpers (`pnpm test`). The end-to-end test in a real browser has
// its own config: vitest.e2e.config.ts (`pnpm test:browser`).
import { defineTfkitConfig } from '@tfkit/vitest-config';

export default defineTfkitConfig(import.meta.dirname);
