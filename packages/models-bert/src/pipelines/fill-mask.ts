/**
 * `fill-mask`: the most likely tokens for each `[MASK]` in a text, with their probabilities and
 * the text they make (as Hugging Face's FillMaskPipeline).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@tfkit/core-tensor';
import { batchInputs, maxInputLength, outputTensor, Pipeline, type PipelineOptions } from './common.js';

export interface FillMaskCandidate {
  /** Probability of the token at this mask. */
  score: number;
  /** Token id. */
  token: number;
  /** The token as text. */
  tokenStr: string;
  /** The input with this mask filled in (special tokens removed). */
  sequence: string;
}

export interface FillMaskOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  /** Only score these tokens (by their text); unknown ones are an error. */
  targets?: string[];
}

/** One text with one mask → candidates; with several masks → one list per mask. */
export type FillMaskResult = FillMaskCandidate[] | FillMaskCandidate[][];

export class FillMaskPipeline extends Pipeline {
  readonly task = 'fill-mask';
  private readonly maskId: number;

  constructor(options: PipelineOptions) {
    super(options);
    const maskId = this.tokenizer.maskTokenId;
    if (maskId === undefined) throw new ConfigError('fill-mask: the tokenizer has no mask token');
    this.maskId = maskId;
  }

  /** The mask token's text, to write into inputs (`[MASK]` for BERT). */
  get maskToken(): string {
    return this.tokenizer.idToToken(this.maskId) ?? '[MASK]';
  }

  async call(text: string, options?: FillMaskOptions): Promise<FillMaskResult>;
  async call(texts: string[], options?: FillMaskOptions): Promise<FillMaskResult[]>;
  async call(input: string | string[], options: FillMaskOptions = {}): Promise<FillMaskResult | FillMaskResult[]> {
    const texts = typeof input === 'string' ? [input] : input;
    const topK = options.topK ?? 5;
    const targetIds = options.targets?.map((t) => {
      const id = this.tokenizer.tokenToId(t) ?? this.tokenizer.encode(t, { addSpecialTokens: false }).ids[0];
      if (id === undefined) throw new ConfigError(`fill-mask: target "${t}" is not in the vocabulary`);
      return id;
    });
    const encodings = this.tokenizer.encodeBatch(texts, { padding: 'longest', truncation: true, maxLength: maxInputLength(this) });
    const masks = encodings.map((e, b) => {
      const positions = e.ids.flatMap((id, i) => (id === this.maskId ? [i] : []));
      if (!positions.length) throw new ConfigError(`fill-mask: input ${b} has no ${this.maskToken} token: "${texts[b]}"`);
      return positions;
    });
    const flat = masks.flatMap((positions, b) => positions.map((i) => [b, i]));
    const k = Math.min(topK, targetIds?.length ?? this.model.config.vocabSize);
    const [values, indices] = tf.tidy(() => {
      const logits = outputTensor(this.model.forward(batchInputs(encodings)), 'logits', this.task);
      let probs = tf.softmax(tf.gatherND(logits, flat));
      if (targetIds) probs = tf.gather(probs, targetIds, 1);
      const top = tf.topk(probs, k);
      return [top.values, top.indices];
    });
    const [scores, ids] = [(await values.array()) as number[][], (await indices.array()) as number[][]];
    tf.dispose([values, indices]);

    let row = 0;
    const results = encodings.map((e, b) => {
      const perMask = (masks[b] as number[]).map((position) => {
        const rowScores = scores[row] as number[];
        const rowIds = ids[row++] as number[];
        return rowIds.map((index, j) => {
          const token = targetIds ? (targetIds[index] as number) : index;
          const filled = e.ids.map((id, i) => (i === position ? token : id)).filter((_, i) => e.attentionMask[i] === 1);
          return { score: rowScores[j] as number, token, tokenStr: this.tokenizer.idToToken(token) ?? '', sequence: this.tokenizer.decode(filled, { skipSpecialTokens: true }) };
        });
      });
      return perMask.length === 1 ? (perMask[0] as FillMaskCandidate[]) : perMask;
    });
    return typeof input === 'string' ? (results[0] as FillMaskResult) : results;
  }
}
