/**
 * Corpus metrics of the embedded text-to-text models, as sacrebleu computes them by default:
 * chrF (Popović 2015; character n-grams 1–6, β = 2, whitespace removed, corpus-level statistics, the
 * per-order F-scores averaged) and
 * BLEU (Papineni et al. 2002; word 1–4-grams, "13a"-style tokenisation of punctuation, brevity
 * penalty, no smoothing — a corpus with no matching 4-gram scores 0), both 0–100; exact match; and
 * mean ROUGE-L F1 (rouge_score's, from @tfkit/finetune).
 */
import { rougeL } from '@tfkit/finetune';

function counts(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function overlap(hyp: Map<string, number>, ref: Map<string, number>): number {
  let o = 0;
  for (const [g, c] of hyp) o += Math.min(c, ref.get(g) ?? 0);
  return o;
}

const charNgrams = (text: string, n: number): string[] => {
  const chars = [...text.replace(/\s+/g, '')];
  const out: string[] = [];
  for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
  return out;
};

/** Corpus chrF (sacrebleu CHRF(): char order 6, word order 0, β 2), 0–100. */
export function chrF(hypotheses: readonly string[], references: readonly string[], order = 6, beta = 2): number {
  const stats = Array.from({ length: order }, () => ({ hyp: 0, ref: 0, match: 0 }));
  hypotheses.forEach((h, i) => {
    for (let n = 1; n <= order; n++) {
      const hg = counts(charNgrams(h, n));
      const rg = counts(charNgrams(references[i] ?? '', n));
      const s = stats[n - 1] as { hyp: number; ref: number; match: number };
      s.hyp += charNgrams(h, n).length;
      s.ref += charNgrams(references[i] ?? '', n).length;
      s.match += overlap(hg, rg);
    }
  });
  // sacrebleu 2's CHRF: the F-β of each order (from corpus totals), averaged over the orders that
  // have n-grams on both sides.
  const b2 = beta * beta;
  let sum = 0;
  let effective = 0;
  for (const s of stats) {
    if (s.hyp > 0 && s.ref > 0) {
      const p = s.match / s.hyp;
      const r = s.match / s.ref;
      sum += p + r > 0 ? ((1 + b2) * p * r) / (b2 * p + r) : 0;
      effective++;
    }
  }
  return effective ? (100 * sum) / effective : 0;
}

/** sacrebleu's 13a tokeniser, simplified: punctuation split off as its own token. */
export function bleuTokens(text: string): string[] {
  return text
    .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    .split(/\s+/)
    .filter(Boolean);
}

/** Corpus BLEU-4 with the brevity penalty, no smoothing (sacrebleu's default corpus_score), 0–100. */
export function bleu(hypotheses: readonly string[], references: readonly string[], order = 4): number {
  const match = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  let hypLen = 0;
  let refLen = 0;
  hypotheses.forEach((h, i) => {
    const ht = bleuTokens(h);
    const rt = bleuTokens(references[i] ?? '');
    hypLen += ht.length;
    refLen += rt.length;
    for (let n = 1; n <= order; n++) {
      const grams = (t: string[]) => counts(t.slice(0, Math.max(0, t.length - n + 1)).map((_, k) => t.slice(k, k + n).join(' ')));
      match[n - 1] = (match[n - 1] as number) + overlap(grams(ht), grams(rt));
      total[n - 1] = (total[n - 1] as number) + Math.max(0, ht.length - n + 1);
    }
  });
  if (match.some((m) => m === 0) || hypLen === 0) return 0;
  const logPrecision = match.reduce((a, m, n) => a + Math.log(m / (total[n] as number)), 0) / order;
  const bp = hypLen < refLen ? Math.exp(1 - refLen / hypLen) : 1;
  return 100 * bp * Math.exp(logPrecision);
}

/** Share of outputs equal to their reference after trimming and lower-casing. */
export function exactMatchRate(hypotheses: readonly string[], references: readonly string[]): number {
  if (!hypotheses.length) return 0;
  return hypotheses.filter((h, i) => h.trim().toLowerCase() === (references[i] ?? '').trim().toLowerCase()).length / hypotheses.length;
}

/** Mean ROUGE-L F1 over pairs, 0–1. */
export function meanRougeL(hypotheses: readonly string[], references: readonly string[]): number {
  if (!hypotheses.length) return 0;
  return hypotheses.reduce((a, h, i) => a + rougeL(h, references[i] ?? '').f1, 0) / hypotheses.length;
}
