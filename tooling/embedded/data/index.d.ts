export type Split = 'train' | 'valid' | 'test';
export interface PhrasePair {
  source: string;
  target: string;
  split: Split;
}
export interface KeySentenceExample {
  /** A passage of 3 consecutive sentences. */
  source: string;
  /** Its key sentence (the rule: keySentenceIndex). */
  target: string;
  /** Its first sentence: the lead baseline. */
  lead: string;
  keyIndex: number;
  book: string;
  split: Split;
}
export declare const FREEDICT_ENG_FRA: { index: string; dict: string; copyright: string; licence: string };
export declare function fnv1a(text: string): number;
export declare function splitOf(key: string): Split;
export declare function readFreedictEntries(paths?: { index: string; dict: string }): { headword: string; body: string }[];
export declare function loadPhrasePairs(options?: { split?: Split; paths?: { index: string; dict: string } }): PhrasePair[];
export declare const PROSE_BOOKS: string[];
export declare function splitSentences(paragraph: string): string[];
export declare function contentWords(sentence: string): Set<string>;
export declare function keySentenceIndex(sentences: string[]): number;
export declare function loadKeySentenceExamples(options?: { split?: Split }): KeySentenceExample[];
export declare function loadKeySentenceTrainingSet(options?: { windows?: boolean; orders?: boolean }): KeySentenceExample[];
