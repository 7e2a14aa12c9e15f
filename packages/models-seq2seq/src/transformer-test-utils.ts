/** Tiny Transformer configs and batches shared by this package's tests. */
import type { TransformerConfigInput } from './transformer-config.js';

/** One shared vocabulary of 20; 2 + 2 layers, heads of different counts on each side, no dropout. */
export const TINY_TRANSFORMER: TransformerConfigInput = {
  vocabSize: 20, dModel: 16, encoderLayers: 2, decoderLayers: 2, encoderAttentionHeads: 4, decoderAttentionHeads: 2,
  encoderFfnDim: 32, decoderFfnDim: 24, maxPositionEmbeddings: 32, dropout: 0, initStd: 0.2,
};

/** Separate vocabularies (source 20, target 13) and an untied output projection. */
export const SEPARATE_VOCABULARIES: TransformerConfigInput = { ...TINY_TRANSFORMER, decoderVocabSize: 13, tieWordEmbeddings: false };

/** Two right-padded source rows (row 1: two pads) and their targets (row 1 ends early: −100). */
export const TRANSFORMER_BATCH = {
  inputIds: [[5, 16, 7, 8, 19, 2], [9, 4, 3, 2, 0, 0]],
  attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]],
  labels: [[4, 5, 12, 6, 2], [7, 8, 2, -100, -100]],
};
