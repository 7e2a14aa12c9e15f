/**
 * Entity-level precision / recall / F1 for BIO-tagged sequences, as seqeval computes them by
 * default: an entity is a maximal run `B-X I-X …` (an `I-X` that does not continue an `X` entity
 * starts a new one), and a predicted entity counts only when type, start and end all match.
 */
import type { EvalPrediction } from '../train/evaluate.js';
import { argmax, type PrecisionRecallF1 } from './classification.js';

export interface Entity {
  type: string;
  start: number;
  /** Exclusive. */
  end: number;
}

/** The entities of one tag sequence (`O`, `B-PER`, `I-PER`, …). */
export function bioEntities(tags: readonly string[]): Entity[] {
  const out: Entity[] = [];
  let current: Entity | undefined;
  tags.forEach((tag, i) => {
    const [prefix, type = ''] = tag === 'O' ? ['O'] : [tag.slice(0, 1), tag.slice(2)];
    const continues = current && prefix === 'I' && current.type === type;
    if (continues && current) {
      current.end = i + 1;
      return;
    }
    if (current) out.push(current);
    current = prefix === 'B' || prefix === 'I' ? { type, start: i, end: i + 1 } : undefined;
  });
  if (current) out.push(current);
  return out;
}

/** Micro-averaged entity-level scores over sentences. */
export function entityF1(predicted: readonly (readonly string[])[], gold: readonly (readonly string[])[]): PrecisionRecallF1 {
  let tp = 0;
  let nPred = 0;
  let nGold = 0;
  predicted.forEach((p, s) => {
    const pe = bioEntities(p);
    const ge = bioEntities(gold[s] ?? []);
    nPred += pe.length;
    nGold += ge.length;
    const key = (e: Entity) => `${e.type}:${e.start}:${e.end}`;
    const goldKeys = new Set(ge.map(key));
    for (const e of pe) if (goldKeys.has(key(e))) tp++;
  });
  const precision = nPred ? tp / nPred : 0;
  const recall = nGold ? tp / nGold : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * A `metrics` function for token classification: `[n][tokens][labels]` logits and `[n][tokens]`
 * label ids (−100 for sub-words and special tokens, which are dropped), mapped to tag names by
 * `id2label`.
 */
export function nerMetrics(id2label: readonly string[]): (p: EvalPrediction) => Record<string, number> {
  return ({ predictions, labels }) => {
    const pred: string[][] = [];
    const gold: string[][] = [];
    (predictions as number[][][]).forEach((rows, s) => {
      const ids = argmax(rows);
      const y = ((labels ?? [])[s] ?? []) as number[];
      const keep = y.map((l) => l !== -100);
      pred.push(ids.filter((_, i) => keep[i]).map((id) => id2label[id] ?? 'O'));
      gold.push(y.filter((_, i) => keep[i]).map((id) => id2label[id] ?? 'O'));
    });
    const { precision, recall, f1 } = entityF1(pred, gold);
    return { precision, recall, f1 };
  };
}
