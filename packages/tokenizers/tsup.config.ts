import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

// `train` is an entry of its own (`@tfkit/tokenizers/train`): the main entry reaches the trainer only
// through `Tokenizer.train`'s dynamic import, so a tokenizer-only page never bundles it. `core`
// (`@tfkit/tokenizers/core`) is the tokenizer without component types: its `loadTokenizer` imports
// the component modules a tokenizer.json names, each in a chunk of its own.
export default defineConfig(libraryTsup({ entry: { index: 'src/index.ts', core: 'src/core.ts', train: 'src/train.ts' } }));
