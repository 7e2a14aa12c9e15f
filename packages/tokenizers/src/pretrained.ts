/**
 * The `pretrained` feature: `Tokenizer.fromPretrained` (directories, URLs, hub ids, plain vocab
 * files), `savePretrained` and the loader of `Tokenizer.train`'s trainer, all in loaders.ts, which
 * is imported on first use (it brings core-tensor's file sources). The main entry loads this
 * feature; on `@tfkit/tokenizers/core` it is `use(pretrained)` (see features.ts).
 */
import type { PretrainedFeature } from './features.js';

export const pretrained: PretrainedFeature = {
  feature: 'pretrained',
  fromPretrained: async (source, options) => (await import('./loaders.js')).loadTokenizer(source, options),
  save: async (tokenizer, dir) => (await import('./loaders.js')).saveTokenizer(tokenizer, dir),
  loadTrainer: async (loaded) => (await import('./loaders.js')).loadTrainer(loaded),
};
