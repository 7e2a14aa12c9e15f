/**
 * What the tokenizer core needs of post-processing: the post-processor interface and merging the
 * processed pieces (with their overflowing windows) into one encoding. The post-processor types
 * are in processors.ts and byte-level.ts.
 */
import { EncodingData } from '../encoding.js';
import { need } from '../features.js';

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

export function mergeEncodings(encodings: readonly EncodingData[]): EncodingData {
  if (encodings.length === 1) return encodings[0]!;
  // Windows to combine: truncation made them, so that feature is loaded.
  if (encodings.some((e) => e.overflowing.length > 0)) return need('truncation', 'encode').merge(encodings);
  const out = new EncodingData();
  for (const e of encodings) out.append(e);
  out.source = encodings.find((e) => e.source)?.source ?? '';
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
