/**
 * `@tfkit/tokenizers/train`: tokenizer training as an import of its own, so a page that only loads
 * and runs a tokenizer never bundles the trainer. `Tokenizer.train` (main entry) does the same
 * by loading this entry on first use (where a bundle holds it, it registers itself here).
 */
import { setTrainer, Tokenizer } from './tokenizer.js';
import { trainTokenizer as train, type TrainCorpus, type TrainOptions, type TrainProgress } from './trainers/train.js';
// The core's chunk anchor (see lazy-components.ts): keeps the tokenizer core one chunk in a split bundle.
import './lazy-components.js';

export { Tokenizer };
export type { TrainOptions, TrainProgress, TrainCorpus, TrainPostProcessor } from './trainers/train.js';

/**
 * Trains a new BPE (byte-level, GPT-2 style) or WordPiece (BERT style) tokenizer on a string, an
 * iterable or an async iterable of texts: the same as `Tokenizer.train`, imported statically.
 */
export function trainTokenizer(options: TrainOptions, corpus: TrainCorpus, callbacks: { onProgress?: (p: TrainProgress) => void } = {}): Promise<Tokenizer> {
  return train((parts) => new Tokenizer(parts), options, corpus, callbacks);
}

setTrainer(trainTokenizer);
