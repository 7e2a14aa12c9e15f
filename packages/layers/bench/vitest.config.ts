// `pnpm bench`: bench/*.bench.ts through Vitest, @tfkit/* resolved to sources, the tests' tfjs setup.
import { defineTfkitBenchConfig } from '@tfkit/vitest-config';

export default defineTfkitBenchConfig(import.meta.dirname, { testTimeout: 600_000 });
