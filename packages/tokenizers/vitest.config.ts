import { defineTfkitConfig } from '@tfkit/vitest-config';

// Tokenizers never touch TensorFlow.js: skip the shared setup that registers its backends.
export default defineTfkitConfig(import.meta.dirname, { test: { setupFiles: [] } });
