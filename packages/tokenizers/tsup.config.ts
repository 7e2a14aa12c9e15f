import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

// `train` is an entry of its own (`@tfkit/tokenizers/train`): the main entry reaches the trainer only
// through `Tokenizer.train`'s dynamic import, so a tokenizer-only page never bundles it. `core`
// (`@tfkit/tokenizers/core`) is the modular tokenizer: component types and features come with
// `use(…)`, and nothing in its graph imports code dynamically. `lazy` (`@tfkit/tokenizers/lazy`) adds
// `loadTokenizer`, which imports the component modules a tokenizer.json names, each in a chunk of its own.
// The lazy entries (src/lazy/*.ts) and the trainer import lazy-components.ts
// bare, for no binding: that import makes every tokenizer-core file reachable from the same entries,
// so the core is one chunk (see lazy-components.ts). esbuild drops the statement itself (the package
// has no side effects) and warns that it does: expected, so silenced here.
const base = libraryTsup({ entry: { index: 'src/index.ts', core: 'src/core.ts', lazy: 'src/lazy.ts', train: 'src/train.ts' } });
export default defineConfig({
  ...base,
  esbuildOptions(options, context) {
    base.esbuildOptions?.(options, context);
    options.logOverride = { ...options.logOverride, 'ignored-bare-import': 'silent' };
  },
});
