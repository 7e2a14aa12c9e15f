import { defineTfkitConfig } from '@tfkit/vitest-config';

export default defineTfkitConfig(import.meta.dirname);
