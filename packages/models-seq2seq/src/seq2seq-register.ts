/**
 * `registerSeq2Seq(registry)`: model_type `rnn-seq2seq` with its one architecture, so
 * `AutoModel.fromPretrained(dir, { registry })` builds a `Seq2SeqModel`.
 */
import type { ModelEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { MODEL_TYPE } from './seq2seq-config.js';
import { Seq2SeqModel } from './seq2seq-model.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    'rnn-seq2seq': ModelEntry;
  }
}

/** Registers the recurrent encoder-decoder (`rnn-seq2seq`: Seq2SeqModel) in `registry`. */
export function registerSeq2Seq(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register(
    MODEL_TYPE,
    {
      architectures: { [Seq2SeqModel.architecture]: { fromCheckpoint: (checkpoint, opts) => Seq2SeqModel.fromCheckpoint(checkpoint, opts) } },
      defaultArchitecture: Seq2SeqModel.architecture,
    },
    options,
  );
  return registry;
}
