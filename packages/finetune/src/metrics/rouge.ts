/**
 * ROUGE (Lin, 2004) as Google's `rouge_score` package computes it with its default tokenizer: text
 * lower-cased, every run of characters other than a–z and 0–9 a separator. ROUGE-N is the F-measure
 * of the n-gram overlap (clipped counts), ROUGE-L the F-measure of the longest common subsequence
 * (per pair: `rouge_score`'s "rougeL", not the summary-level "rougeLsum"). Corpus scores are means.
 */
export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

/** `rouge_score`'s default tokenizer (without stemming). */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean);
}

function score(overlap: number, predicted: number, reference: number): RougeScore {
  const precision = predicted ? overlap / predicted : 0;
  const recall = reference ? overlap / reference : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = x === b[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, row[j - 1] as number);
    prev = row;
  }
  return prev[b.length] as number;
}

/** ROUGE-L of one prediction against one reference. */
export function rougeL(prediction: string, reference: string): RougeScore {
  const p = rougeTokens(prediction);
  const r = rougeTokens(reference);
  return score(lcsLength(p, r), p.length, r.length);
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N of one prediction against one reference. */
export function rougeN(prediction: string, reference: string, n = 1): RougeScore {
  const p = ngrams(rougeTokens(prediction), n);
  const r = ngrams(rougeTokens(reference), n);
  let overlap = 0;
  for (const [gram, count] of p) overlap += Math.min(count, r.get(gram) ?? 0);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return score(overlap, total(p), total(r));
}

/** Mean ROUGE-1, ROUGE-2 and ROUGE-L F-measures over pairs (`{ rouge1, rouge2, rougeL }`, 0…1). */
export function rougeScores(predictions: readonly string[], references: readonly string[]): { rouge1: number; rouge2: number; rougeL: number } {
  if (predictions.length !== references.length) throw new RangeError(`rougeScores: ${predictions.length} predictions but ${references.length} references`);
  const n = predictions.length || 1;
  const mean = (f: (p: string, r: string) => RougeScore) => predictions.reduce((sum, p, i) => sum + f(p, references[i] as string).f1, 0) / n;
  return { rouge1: mean((p, r) => rougeN(p, r, 1)), rouge2: mean((p, r) => rougeN(p, r, 2)), rougeL: mean(rougeL) };
}
