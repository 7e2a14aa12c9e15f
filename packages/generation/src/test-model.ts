/**
 * A tiny bigram "model" for generation tests: the next-token logits depend only on the last token,
 * through a fixed table, so every expected output can be worked out by hand.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GenerationConfig } from './generation-config.js';
import type { DecodingSession, GenerationModel, StartDecodingInputs } from './model.js';

export class BigramModel implements GenerationModel {
  /** How many sessions are open (a test asserts generate closes them). */
  open = 0;
  steps = 0;

  constructor(
    readonly table: number[][],
    readonly generationConfig: Partial<GenerationConfig> = {},
  ) {}

  startDecoding(inputs: StartDecodingInputs): DecodingSession {
    this.open++;
    let rows = inputs.inputIds.map((r) => [...r]);
    return {
      prefix: inputs.inputIds.map((r) => [...r]),
      nextTokenLogits: () => {
        this.steps++;
        return tf.tensor2d(rows.map((r) => this.table[r[r.length - 1] as number] as number[]));
      },
      append: (tokens) => tokens.forEach((t, i) => (rows[i] as number[]).push(t)),
      selectRows: (indices) => {
        rows = indices.map((i) => [...(rows[i] as number[])]);
      },
      dispose: () => {
        this.open--;
      },
    };
  }
}

/** Natural-log probabilities → logits (log p is a valid logit vector). */
export const logits = (probs: number[]) => probs.map((p) => (p > 0 ? Math.log(p) : -1e9));
