/**
 * What the tokenizer core needs of post-processing: the post-processor interface and merging the
 * processed pieces (with their overflowing windows) into one encoding. The post-processor types
 * are in processors.ts and byte-level.ts.
 */
import { EncodingData } from '../encoding.js';

export type ProcessorJson = { type: string; [key: string]: unknown };
export type TokenOf = (id: number) => string;

export interface PostProcessor {
  /** How many tokens `process` adds for one sequence or a pair. */
  addedTokens(isPair: boolean): number;
  processEncodings(encodings: EncodingData[], addSpecialTokens: boolean, tokenOf: TokenOf): EncodingData[];
  toJSON(): ProcessorJson;
}

/** A deep copy (windows included). */
export function cloneEncoding(e: EncodingData): EncodingData {
  const out = e.slice(0, e.length);
  out.overflowing = e.overflowing.map(cloneEncoding);
  return out;
}

/**
 * Concatenates `b` onto `a`. Overflowing windows combine as in Hugging Face's `Encoding::merge_with`:
 * each window of `a` with `b` and with each window of `b`, then `a` with each window of `b`.
 */
function mergeTwo(a: EncodingData, b: EncodingData): EncodingData {
  const overflowing: EncodingData[] = [];
  for (const ao of a.overflowing) {
    overflowing.push(mergeTwo(withoutOverflow(ao), withoutOverflow(b)));
    for (const bo of b.overflowing) overflowing.push(mergeTwo(withoutOverflow(ao), bo));
  }
  for (const bo of b.overflowing) overflowing.push(mergeTwo(withoutOverflow(a), bo));
  const out = a.slice(0, a.length);
  out.append(b);
  out.overflowing = overflowing;
  return out;
}

function withoutOverflow(e: EncodingData): EncodingData {
  if (e.overflowing.length === 0) return e;
  return e.slice(0, e.length);
}

export function mergeEncodings(encodings: readonly EncodingData[]): EncodingData {
  if (encodings.length === 0) return new EncodingData();
  if (encodings.length === 1) return encodings[0]!;
  if (encodings.every((e) => e.overflowing.length === 0)) {
    // No windows to combine: one concatenation.
    const out = new EncodingData();
    for (const e of encodings) out.append(e);
    out.source = encodings.find((e) => e.source)?.source ?? '';
    return out;
  }
  let out = encodings[0]!;
  for (let i = 1; i < encodings.length; i++) out = mergeTwo(out, encodings[i]!);
  return out;
}

/** Runs `processor` (or the default: nothing added) over one or two sequences and merges the result. */
export function postProcess(processor: PostProcessor | null, a: EncodingData, b: EncodingData | null, addSpecialTokens: boolean, tokenOf: TokenOf): EncodingData {
  const encodings = b ? [a, b] : [a];
  return mergeEncodings(processor ? processor.processEncodings(encodings, addSpecialTokens, tokenOf) : encodings);
}

export function forEachWindow(e: EncodingData, fn: (w: EncodingData) => void): void {
  fn(e);
  for (const o of e.overflowing) forEachWindow(o, fn);
}
