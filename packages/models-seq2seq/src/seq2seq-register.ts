/**
 * `registerSeq2Seq(registry)`: model_type `rnn-seq2seq` with its one architecture, so
 * `AutoModel.fromPretrained(dir, { registry })` builds a `Seq2SeqModel`, and the family facts
 * shared code reads (task classes, layer naming, no position limit); the Transformer (`marian`);
 * and the text-to-text tasks (`translation`, `summarization`, `text2text-generation`) for both.
 */
import { registerTask, type ModelEntry, type Registry, type RegisterOptions } from '@tfkit/core-tensor';
import { createText2TextPipeline, TEXT2TEXT_TASKS, type Text2TextModel, type Text2TextTask } from '@tfkit/generation';
import { loadTokenizerPart } from '@tfkit/tokenizers';
import { MODEL_TYPE } from './seq2seq-config.js';
import { Seq2SeqModel } from './seq2seq-model.js';
import { TRANSFORMER_MODEL_TYPE } from './transformer-config.js';
import { transformerModelEntry } from './transformer-register.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    'rnn-seq2seq': ModelEntry;
  }
}

/**
 * Registers the recurrent encoder-decoder (`rnn-seq2seq`: Seq2SeqModel) and the Transformer
 * (`marian`: MarianMTModel) in `registry`, with the text-to-text tasks for both (the pipeline of
 * `@tfkit/generation`, as for BART); other families' implementations of these tasks stay.
 */
export function registerSeq2Seq(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register(
    MODEL_TYPE,
    {
      architectures: { [Seq2SeqModel.architecture]: { fromCheckpoint: (checkpoint, opts) => Seq2SeqModel.fromCheckpoint(checkpoint, opts) } },
      defaultArchitecture: Seq2SeqModel.architecture,
      taskArchitectures: { 'text2text-generation': Seq2SeqModel.architecture, translation: Seq2SeqModel.architecture },
      // embedding below the stacked recurrent layers (PyTorch names: rnn.weight_ih_l{i}[_reverse]); projections on top.
      layerNaming: { layer: /(?:^|\.)rnn\.(?:weight|bias)_(?:ih|hh)_l(\d+)(?:_reverse)?\./, embeddings: /(?:^|\.)embedding\./ },
      // Recurrent: any length.
      maxPositions: () => undefined,
    },
    options,
  );
  // The Transformer (Vaswani et al., 2017), saved as Hugging Face's Marian.
  registry.model.register(TRANSFORMER_MODEL_TYPE, transformerModelEntry(), options);
  // The recurrent encoder reads any length; its token table is the source vocabulary. The
  // Transformer's config names its limits the Hugging Face way (the pipeline's defaults).
  const recurrentLimits = (model: Text2TextModel) => ({ inputVocabSize: (model as unknown as Seq2SeqModel).config.sourceVocabSize });
  for (const [task, description] of Object.entries(TEXT2TEXT_TASKS) as [Text2TextTask, string][]) {
    registerTask(registry, task, MODEL_TYPE, { loadPreprocessor: loadTokenizerPart, create: (parts) => createText2TextPipeline(task, parts, recurrentLimits) }, { ...options, description });
    registerTask(registry, task, TRANSFORMER_MODEL_TYPE, { loadPreprocessor: loadTokenizerPart, create: (parts) => createText2TextPipeline(task, parts) }, { ...options, description });
  }
  return registry;
}
