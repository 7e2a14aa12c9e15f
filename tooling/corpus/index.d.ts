export interface CorpusBook {
  id: string;
  title: string;
  text: string;
}
export interface CorpusManifest {
  separator: string;
  totalChars: number;
  books: { id: string; title: string; chars: number }[];
}
export declare const corpusPath: string;
export declare const manifest: CorpusManifest;
export declare function loadBooks(): CorpusBook[];
export declare function loadCorpus(options?: { books?: string[]; exclude?: string[]; maxChars?: number }): string;
