// The shared English text corpus for tests and benchmarks (see README.md for origin and licence).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of the gzip-compressed UTF-8 corpus (all books, joined by one blank line). */
export const corpusPath = path.join(here, 'corpus.txt.gz');

/** Book ids, titles and lengths (UTF-16 code units), in the order they appear in the corpus. */
export const manifest = JSON.parse(fs.readFileSync(path.join(here, 'manifest.json'), 'utf8'));

let cached;
function allText() {
  cached ??= zlib.gunzipSync(fs.readFileSync(corpusPath)).toString('utf8');
  return cached;
}

/** Every book as `{ id, title, text }`. */
export function loadBooks() {
  const text = allText();
  const books = [];
  let start = 0;
  for (const { id, title, chars } of manifest.books) {
    books.push({ id, title, text: text.slice(start, start + chars) });
    start += chars + manifest.separator.length;
  }
  return books;
}

/**
 * The corpus as one string. `books` keeps only those ids, `exclude` drops ids (e.g. a held-out
 * book), `maxChars` cuts the result.
 */
export function loadCorpus(options = {}) {
  const { books, exclude = [], maxChars } = options;
  let text;
  if (!books && exclude.length === 0) text = allText();
  else {
    const known = new Set(manifest.books.map((b) => b.id));
    for (const id of [...(books ?? []), ...exclude]) {
      if (!known.has(id)) throw new Error(`@tfkit/corpus: unknown book "${id}". Known: ${[...known].join(', ')}`);
    }
    text = loadBooks()
      .filter((b) => (!books || books.includes(b.id)) && !exclude.includes(b.id))
      .map((b) => b.text)
      .join(manifest.separator);
  }
  return maxChars === undefined ? text : text.slice(0, maxChars);
}
