/**
 * The Transformer's registry entry (model_type `marian`: MarianMTModel), which `registerSeq2Seq`
 * registers beside the recurrent model: the architecture AutoModel builds, and the family facts
 * shared code reads (task classes, layer naming, LoRA targets, init rules, maximum positions).
 */
import type { ModelEntry } from '@tfkit/core-tensor';
import { Transformer } from './transformer-model.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    marian: ModelEntry;
  }
}

export function transformerModelEntry(): ModelEntry {
  return {
    architectures: { [Transformer.architecture]: { fromCheckpoint: (checkpoint, options) => Transformer.fromCheckpoint(checkpoint, options) } },
    defaultArchitecture: Transformer.architecture,
    taskArchitectures: { translation: Transformer.architecture, 'text2text-generation': Transformer.architecture },
    // shared / embed_tokens below {encoder,decoder}.layers.{i}; the encoder's and the decoder's layer i share a depth.
    layerNaming: { layer: /(?:^|\.)layers\.(\d+)\./, embeddings: /(?:^|\.)(?:shared|embed_tokens)\./ },
    // The attention projections' names are BART's, and so is PEFT's default (q_proj, v_proj).
    loraTargetModules: ['q_proj', 'v_proj'],
    // MarianPreTrainedModel._init_weights reads config.init_std.
    initRules: { stdKey: 'init_std' },
    maxPositions: (config) => (typeof config['max_position_embeddings'] === 'number' ? config['max_position_embeddings'] : 1024),
  };
}
