/**
 * `token-classification` (NER): per-token labels, or entities grouped over subwords and words with
 * Hugging Face's aggregation strategies. Spans are `[start, end)` indices into the input text,
 * from the tokenizer's offsets, so `text.slice(start, end)` is the entity's text.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@tfkit/core-tensor';
import { batchInputs, labelOf, maxInputLength, outputTensor, softmax, Pipeline } from './common.js';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

/** One token's label (`aggregationStrategy: 'none'`). */
export interface TokenEntity {
  entity: string;
  score: number;
  /** Token position in the encoded input. */
  index: number;
  word: string;
  start: number;
  end: number;
}

/** A grouped entity (every other strategy). */
export interface EntityGroup {
  /** The label without its `B-`/`I-` prefix. */
  entityGroup: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

export interface TokenClassificationOptions {
  aggregationStrategy?: AggregationStrategy;
  /** Labels left out of the results (default `['O']`). */
  ignoreLabels?: string[];
}

interface Scored {
  scores: number[];
  index: number;
  start: number;
  end: number;
  /** Continues the previous token's word. */
  isSubword: boolean;
}

interface Labelled {
  entity: string;
  score: number;
  start: number;
  end: number;
}

/** `B-PER` → ['B', 'PER']; `I-PER` → ['I', 'PER']; `PER` → ['I', 'PER'] (consecutive ones merge). */
function splitTag(entity: string): ['B' | 'I', string] {
  if (entity.startsWith('B-')) return ['B', entity.slice(2)];
  if (entity.startsWith('I-')) return ['I', entity.slice(2)];
  return ['I', entity];
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best;
}

export class TokenClassificationPipeline extends Pipeline {
  readonly task = 'token-classification';

  async call(text: string, options: TokenClassificationOptions & { aggregationStrategy: Exclude<AggregationStrategy, 'none'> }): Promise<EntityGroup[]>;
  async call(text: string, options?: TokenClassificationOptions): Promise<TokenEntity[]>;
  async call(text: string, options: TokenClassificationOptions = {}): Promise<TokenEntity[] | EntityGroup[]> {
    const strategy = options.aggregationStrategy ?? 'none';
    if (!['none', 'simple', 'first', 'average', 'max'].includes(strategy)) {
      throw new ConfigError(`token-classification: unknown aggregationStrategy "${strategy}"; use none, simple, first, average or max`);
    }
    const ignore = new Set(options.ignoreLabels ?? ['O']);
    const encoding = this.tokenizer.encode(text, { truncation: true, maxLength: maxInputLength(this) });
    const logits = tf.tidy(() => outputTensor(this.model.forward(batchInputs([encoding])), 'logits', this.task));
    const rows = ((await logits.array()) as number[][][])[0] as number[][];
    logits.dispose();

    const tokens: Scored[] = [];
    encoding.ids.forEach((_, i) => {
      if (encoding.sequenceIds[i] === null) return;
      const [start, end] = encoding.offsets[i] as [number, number];
      const word = encoding.wordIds[i];
      const isSubword = i > 0 && word !== null && encoding.wordIds[i - 1] === word && encoding.sequenceIds[i - 1] !== null;
      tokens.push({ scores: softmax(rows[i] as number[]), index: i, start, end, isSubword });
    });
    const label = (scores: number[]) => {
      const best = argmax(scores);
      return { entity: labelOf(this.model.config, best), score: scores[best] as number };
    };

    if (strategy === 'none') {
      return tokens
        .map((t) => ({ ...label(t.scores), index: t.index, word: text.slice(t.start, t.end), start: t.start, end: t.end }))
        .filter((e) => !ignore.has(e.entity));
    }
    const labelled: Labelled[] =
      strategy === 'simple' ? tokens.map((t) => ({ ...label(t.scores), start: t.start, end: t.end })) : this.aggregateWords(tokens, strategy, label);
    return groupEntities(labelled, text).filter((g) => !ignore.has(g.entityGroup));
  }

  /** One label per word, from its first token, the mean of its tokens' scores, or its most confident token. */
  private aggregateWords(tokens: Scored[], strategy: 'first' | 'average' | 'max', label: (s: number[]) => { entity: string; score: number }): Labelled[] {
    const words: Scored[][] = [];
    for (const t of tokens) {
      if (t.isSubword && words.length) (words[words.length - 1] as Scored[]).push(t);
      else words.push([t]);
    }
    return words.map((word) => {
      const first = word[0] as Scored;
      const last = word[word.length - 1] as Scored;
      let picked: { entity: string; score: number };
      if (strategy === 'first') picked = label(first.scores);
      else if (strategy === 'max') picked = label(word.reduce((a, b) => (Math.max(...b.scores) > Math.max(...a.scores) ? b : a)).scores);
      else picked = label(first.scores.map((_, c) => word.reduce((s, t) => s + (t.scores[c] as number), 0) / word.length));
      return { ...picked, start: first.start, end: last.end };
    });
  }
}

/** Merges consecutive entities of one type (a `B-` tag starts a new one); the score is their mean. */
function groupEntities(entities: Labelled[], text: string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: Labelled[] = [];
  const flush = () => {
    if (!current.length) return;
    const first = current[0] as Labelled;
    const last = current[current.length - 1] as Labelled;
    groups.push({
      entityGroup: splitTag(first.entity)[1],
      score: current.reduce((s, e) => s + e.score, 0) / current.length,
      word: text.slice(first.start, last.end),
      start: first.start,
      end: last.end,
    });
    current = [];
  };
  for (const e of entities) {
    const [bi, tag] = splitTag(e.entity);
    const previous = current[current.length - 1];
    if (previous && (tag !== splitTag(previous.entity)[1] || bi === 'B')) flush();
    current.push(e);
  }
  flush();
  return groups;
}
