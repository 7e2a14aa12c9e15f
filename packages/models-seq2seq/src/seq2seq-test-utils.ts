/** Tiny configs and batches shared by this package's tests. */
import type { Seq2SeqConfigInput } from './seq2seq-config.js';

export const TINY: Seq2SeqConfigInput = { sourceVocabSize: 13, targetVocabSize: 11, embeddingSize: 6, hiddenSize: 8, numLayers: 2, dropout: 0 };

/** Every cell × attention combination worth telling apart (bidirectional encoders where the attention allows). */
export const VARIANTS: [string, Seq2SeqConfigInput][] = [
  ['gru + bahdanau, bidirectional', { cell: 'gru', attention: 'bahdanau', bidirectional: true }],
  ['lstm + luong-general, bidirectional', { cell: 'lstm', attention: 'luong-general', bidirectional: true }],
  ['rnn + luong-dot', { cell: 'rnn', attention: 'luong-dot' }],
  ['lstm + bahdanau', { cell: 'lstm', attention: 'bahdanau' }],
  ['gru + none, bidirectional', { cell: 'gru', attention: 'none', bidirectional: true }],
];

/** Two right-padded source rows (row 1 has one pad) and labels (row 1 ends early: −100). */
export const BATCH = {
  inputIds: [[5, 6, 7, 8, 2], [9, 4, 3, 2, 0]],
  attentionMask: [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]],
  labels: [[4, 5, 6, 2], [7, 8, 2, -100]],
};
