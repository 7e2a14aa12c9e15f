/**
 * Learning BPE merges from word counts (Sennrich et al. 2016), following Hugging Face tokenizers'
 * BpeTrainer: most frequent pair first (ties: smallest ids), incremental pair counts, and a
 * priority queue with lazily refreshed counts, so each merge only touches the words that contain
 * the pair.
 */
import { PairHeap } from './pair-heap.js';

export interface BpeTrainerOptions {
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. */
  minFrequency: number;
  /** Put first in the vocab, in this order. */
  specialTokens: readonly string[];
  /** Characters always in the vocab (e.g. the 256 byte-level characters). */
  initialAlphabet: readonly string[];
  /** Keep only the most frequent characters (plus `initialAlphabet`). */
  limitAlphabet?: number;
  /** Prefix of non-initial symbols (`##` for WordPiece). */
  continuingSubwordPrefix?: string;
  /** Suffix of word-final symbols (`</w>`). */
  endOfWordSuffix?: string;
  /** Longest token (in characters) a merge may create. */
  maxTokenLength?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BpeTrainingResult {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/** Trains on `words` (already in model characters, e.g. byte-level) with their counts. */
export function trainBpe(words: readonly string[], counts: readonly number[], options: BpeTrainerOptions): BpeTrainingResult {
  const prefix = options.continuingSubwordPrefix ?? '';
  const suffix = options.endOfWordSuffix ?? '';
  const tokens: string[] = [];
  const ids = new Map<string, number>();
  const addToken = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const t of options.specialTokens) addToken(t);

  // Alphabet: every character, weighted by word counts; the rarest dropped past `limitAlphabet`.
  const charCounts = new Map<string, number>();
  words.forEach((w, k) => {
    for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + counts[k]!);
  });
  for (const ch of options.initialAlphabet) charCounts.set(ch, Number.MAX_SAFE_INTEGER);
  let alphabet = [...charCounts.entries()];
  if (options.limitAlphabet !== undefined && alphabet.length > options.limitAlphabet) {
    alphabet.sort((x, y) => y[1] - x[1] || cmpCodePoints(x[0], y[0]));
    alphabet = alphabet.slice(0, Math.max(options.limitAlphabet, options.initialAlphabet.length));
  }
  const kept = alphabet.map(([ch]) => ch).sort(cmpCodePoints);
  for (const ch of kept) addToken(ch);
  const keptSet = new Set(kept);

  // Words as symbol-id arrays (characters outside the alphabet are dropped, as in Hugging Face).
  const decorated = new Set<string>();
  const symbols: Int32Array[] = [];
  const lengths = new Int32Array(words.length);
  words.forEach((w, k) => {
    const chars = [...w].filter((c) => keptSet.has(c));
    const arr = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      let s = i > 0 ? prefix + c : c;
      if (i === chars.length - 1) s += suffix;
      if (s !== c) decorated.add(s);
      arr[i] = ids.get(s) ?? -1;
    });
    symbols.push(arr);
    lengths[k] = arr.length;
  });
  // Prefixed / suffixed characters get ids after the alphabet, in code-point order.
  if (decorated.size > 0) {
    for (const s of [...decorated].sort(cmpCodePoints)) addToken(s);
    words.forEach((w, k) => {
      const chars = [...w].filter((c) => keptSet.has(c));
      const arr = symbols[k]!;
      chars.forEach((c, i) => {
        let s = i > 0 ? prefix + c : c;
        if (i === chars.length - 1) s += suffix;
        arr[i] = ids.get(s)!;
      });
    });
  }

  const M = 2 ** 21; // pair key = left * M + right; ids stay below M
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const note = (key: number, delta: number, word: number) => {
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta);
    if (delta > 0) {
      let list = pairWords.get(key);
      if (!list) pairWords.set(key, (list = []));
      if (list[list.length - 1] !== word) list.push(word);
    }
  };
  for (let w = 0; w < symbols.length; w++) {
    const arr = symbols[w]!;
    for (let i = 0; i + 1 < arr.length; i++) note(arr[i]! * M + arr[i + 1]!, counts[w]!, w);
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) if (count > 0) heap.push(count, key);

  const merges: [string, string][] = [];
  const target = Math.max(0, options.vocabSize - tokens.length);
  const seen = new Int32Array(symbols.length).fill(-1);
  const maxLen = options.maxTokenLength ?? Infinity;
  const tokenChars: number[] = tokens.map((t) => [...t].length);
  let step = 0;
  while (tokens.length < options.vocabSize && heap.pop()) {
    const key = heap.topKey;
    const current = pairCounts.get(key) ?? 0;
    if (heap.topCount !== current) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (current < options.minFrequency || current <= 0) break;
    const a = Math.floor(key / M);
    const b = key - a * M;
    const right = tokens[b]!;
    const merged = tokens[a]! + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
    const mergedChars = tokenChars[a]! + tokenChars[b]! - (prefix && right.startsWith(prefix) ? [...prefix].length : 0);
    if (mergedChars > maxLen) {
      pairCounts.set(key, 0);
      continue;
    }
    const id = addToken(merged);
    tokenChars[id] = mergedChars;
    merges.push([tokens[a]!, right]);
    pairCounts.set(key, 0);

    const newPairs: number[] = [];
    for (const w of pairWords.get(key) ?? []) {
      if (seen[w] === step) continue;
      seen[w] = step;
      const arr = symbols[w]!;
      let len = lengths[w]!;
      const c = counts[w]!;
      for (let i = 0; i + 1 < len; i++) {
        if (arr[i] !== a || arr[i + 1] !== b) continue;
        if (i > 0) {
          note(arr[i - 1]! * M + a, -c, w);
          const k = arr[i - 1]! * M + id;
          if ((pairCounts.get(k) ?? 0) <= 0) newPairs.push(k);
          note(k, c, w);
        }
        arr[i] = id;
        arr.copyWithin(i + 1, i + 2, len);
        len--;
        if (i + 1 < len) {
          note(b * M + arr[i + 1]!, -c, w);
          const k = id * M + arr[i + 1]!;
          if ((pairCounts.get(k) ?? 0) <= 0) newPairs.push(k);
          note(k, c, w);
        }
      }
      lengths[w] = len;
    }
    pairWords.delete(key);
    for (const k of newPairs) {
      const count = pairCounts.get(k) ?? 0;
      if (count > 0) heap.push(count, k);
    }
    step++;
    if (options.onProgress && (step % 100 === 0 || tokens.length >= options.vocabSize)) options.onProgress(merges.length, target);
  }
  options.onProgress?.(merges.length, merges.length);
  return { vocab: ids, merges };
}

function cmpCodePoints(x: string, y: string): number {
  const a = x.codePointAt(0)!;
  const b = y.codePointAt(0)!;
  return a !== b ? a - b : x < y ? -1 : x > y ? 1 : 0;
}
