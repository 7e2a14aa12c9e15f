// Shared by the tiny-bert data scripts: the corpus books as paragraphs and sentences, and the
// split every script uses — the first 90% of each book's paragraphs (by characters) is training
// text, the last 10% is held out (never seen in pretraining or fine-tuning; the test sets and the
// held-out MLM evaluation come from it).
import { loadBooks } from '../../corpus/index.js';

/** Books left out of pretraining: the King James Bible (37% of the corpus, verse-numbered). */
export const PRETRAIN_EXCLUDE = ['bible-kjv'];
export const HELD_OUT_SHARE = 0.1;

/** A paragraph: its lines joined by spaces, Gutenberg's _italics_ marks removed. */
function clean(paragraph) {
  return paragraph.replace(/\s*\n\s*/g, ' ').replace(/_/g, '').replace(/\s+/g, ' ').trim();
}

/** Sentences of a paragraph: split after . ! ? (and a closing quote; not Mr. Mrs. Dr. St.) before a capital or quote. */
export function sentences(paragraph) {
  return paragraph.split(/(?<!\b(?:Mr|Mrs|Dr|St|Messrs)\.)(?<=[.!?]['"]?)\s+(?=['"(]?[A-Z])/).map((s) => s.trim()).filter(Boolean);
}

/** Each book: { id, title, train: paragraphs[], heldOut: paragraphs[] }. */
export function splitBooks() {
  return loadBooks().map((book) => {
    const paragraphs = book.text.split(/\n\s*\n/).slice(1).map(clean).filter((p) => p.length > 0);
    const total = paragraphs.reduce((n, p) => n + p.length, 0);
    let seen = 0;
    let cut = paragraphs.length;
    for (const [i, p] of paragraphs.entries()) {
      if (seen >= total * (1 - HELD_OUT_SHARE)) {
        cut = i;
        break;
      }
      seen += p.length;
    }
    return { id: book.id, title: book.title, train: paragraphs.slice(0, cut), heldOut: paragraphs.slice(cut) };
  });
}

/**
 * Pretraining text: one sentence a line, a blank line between documents; a document is a run of
 * consecutive paragraphs of about `sentencesPerDoc` sentences (headings — lines without a
 * lower-case letter — end a document).
 */
export function documentsText(paragraphs, sentencesPerDoc = 24) {
  const docs = [];
  let doc = [];
  const flush = () => {
    if (doc.length) docs.push(doc.join('\n'));
    doc = [];
  };
  for (const p of paragraphs) {
    if (!/[a-z]/.test(p)) {
      flush();
      continue;
    }
    doc.push(...sentences(p));
    if (doc.length >= sentencesPerDoc) flush();
  }
  flush();
  return docs.join('\n\n') + '\n';
}
