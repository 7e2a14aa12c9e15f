/**
 * `text-classification`: labels from `id2label` with scores. Softmax for single-label models,
 * sigmoid for multi-label ones and single-logit models, raw values for regression (`problem_type`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchInputs, labelOf, maxInputLength, outputTensor, sigmoid, softmax, Pipeline, type PipelineModel } from './common.js';

export interface LabelScore {
  label: string;
  score: number;
}

export type ClassifierFunction = 'softmax' | 'sigmoid' | 'none';

export interface TextClassificationOptions {
  /** Labels per input, best first (default 1); `null` returns every label. */
  topK?: number | null;
  /** Overrides what `problem_type` implies. */
  functionToApply?: ClassifierFunction;
}

/** A text, or a text with its pair for sentence-pair tasks (NLI, paraphrase), as Hugging Face's `{text, text_pair}`. */
export type ClassificationInput = string | { text: string; textPair?: string };

/** The scoring function `problem_type` and the number of labels imply. */
export function classifierFunction(config: PipelineModel['config']): ClassifierFunction {
  if (config.problemType === 'regression') return 'none';
  if (config.problemType === 'multi_label_classification' || Object.keys(config.id2label).length === 1) return 'sigmoid';
  return 'softmax';
}

export class TextClassificationPipeline extends Pipeline {
  readonly task = 'text-classification';

  async call(input: ClassificationInput, options?: TextClassificationOptions): Promise<LabelScore[]>;
  async call(inputs: ClassificationInput[], options?: TextClassificationOptions): Promise<LabelScore[][]>;
  async call(input: ClassificationInput | ClassificationInput[], options: TextClassificationOptions = {}): Promise<LabelScore[] | LabelScore[][]> {
    const single = !Array.isArray(input);
    const inputs = single ? [input] : input;
    const batch = inputs.map((x) => (typeof x === 'string' ? x : x.textPair === undefined ? x.text : ([x.text, x.textPair] as const)));
    const encodings = this.tokenizer.encodeBatch(batch, { padding: 'longest', truncation: true, maxLength: maxInputLength(this) });
    const logits = tf.tidy(() => outputTensor(this.model.forward(batchInputs(encodings)), 'logits', this.task));
    const rows = (await logits.array()) as number[][];
    logits.dispose();
    const fn = options.functionToApply ?? classifierFunction(this.model.config);
    const topK = options.topK === null ? Infinity : (options.topK ?? 1);
    const results = rows.map((row) => {
      const scores = fn === 'softmax' ? softmax(row) : fn === 'sigmoid' ? row.map(sigmoid) : row;
      return scores
        .map((score, i) => ({ label: labelOf(this.model.config, i), score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK);
    });
    return single ? (results[0] as LabelScore[]) : results;
  }
}
