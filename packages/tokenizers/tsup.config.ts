import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

// `train` is an entry of its own (`@tfkit/tokenizers/train`): the main entry reaches the trainer only
// through `Tokenizer.train`'s dynamic import, so a tokenizer-only page never bundles it.
export default defineConfig(libraryTsup({ entry: { index: 'src/index.ts', train: 'src/train.ts' } }));
