// Shared data of the embedded text-to-text models (README.md: origin, licences, rules, splits).
// English→French phrase pairs from Debian's FreeDict eng-fra dictionary, and a summarization-like
// task made from the corpus's prose paragraphs. Both are deterministic: the same files give the same
// examples in the same splits, on any machine.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { loadBooks } from '../../corpus/index.js';

/** Where Debian's `dict-freedict-eng-fra` package puts the dictionary (dictd format). */
export const FREEDICT_ENG_FRA = {
  index: '/usr/share/dictd/freedict-eng-fra.index',
  dict: '/usr/share/dictd/freedict-eng-fra.dict.dz',
  copyright: '/usr/share/doc/dict-freedict-eng-fra/copyright',
  licence: 'GPL-2.0-or-later',
};

/** 32-bit FNV-1a of a string: the split of an example depends on its key only, never on order. */
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `train` (80%), `valid` (10%) or `test` (10%) by the hash of `key`. */
export function splitOf(key) {
  const bucket = fnv1a(key) % 10;
  return bucket === 0 ? 'test' : bucket === 1 ? 'valid' : 'train';
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** dictd's index numbers: base 64, most significant digit first. */
function dictdNumber(text) {
  let n = 0;
  for (const c of text) {
    const d = B64.indexOf(c);
    if (d < 0) throw new Error(`freedict index: "${text}" is not a dictd base-64 number`);
    n = n * 64 + d;
  }
  return n;
}

/** Every raw dictionary entry as `{ headword, body }` (body: the text after the headword line). */
export function readFreedictEntries(paths = FREEDICT_ENG_FRA) {
  for (const p of [paths.index, paths.dict]) {
    if (!fs.existsSync(p)) throw new Error(`${p} is missing: install Debian's dict-freedict-eng-fra (apt-get install dict-freedict-eng-fra)`);
  }
  const dict = zlib.gunzipSync(fs.readFileSync(paths.dict));
  const entries = [];
  for (const line of fs.readFileSync(paths.index, 'utf8').split('\n')) {
    if (!line) continue;
    const [headword, offset, length] = line.split('\t');
    if (headword === undefined || offset === undefined || length === undefined || headword.startsWith('00database')) continue;
    const text = dict.subarray(dictdNumber(offset), dictdNumber(offset) + dictdNumber(length)).toString('utf8');
    const newline = text.indexOf('\n');
    entries.push({ headword, body: newline < 0 ? '' : text.slice(newline + 1) });
  }
  return entries;
}

const norm = (s) => s.normalize('NFC').replace(/\u2010/g, '-').replace(/\s+/g, ' ').trim();
const LETTERS = /^[A-Za-z][A-Za-z' -]*$/;
const FRENCH = /^[A-Za-zÀ-ÖØ-öø-ÿŒœ][A-Za-zÀ-ÖØ-öø-ÿŒœ' -]*$/;

/**
 * Cleaned English→French pairs: one per English headword (lower-cased unless the French is
 * capitalised too, i.e. a name), the first translation of the first sense, both at most 4 words and
 * 32 characters, letters/apostrophes/hyphens only. Sorted by English; `split` by the hash of the
 * lower-cased English, so a word and its capitalised form share a split.
 */
export function loadPhrasePairs(options = {}) {
  const seen = new Set();
  const pairs = [];
  for (const { headword, body } of readFreedictEntries(options.paths)) {
    const senses = body.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!senses.length) continue;
    const first = norm(senses[0].replace(/^\d+\.\s*/, '').split(/[,;]/)[0] ?? '');
    const english = norm(headword);
    if (!first || !LETTERS.test(english) || !FRENCH.test(first)) continue;
    if (english.split(' ').length > 4 || first.split(' ').length > 4 || english.length > 32 || first.length > 32) continue;
    const isName = /^[A-Z]/.test(english) && /^[A-ZÀ-ÖØ-Þ]/.test(first);
    const source = isName ? english : english.toLowerCase();
    const target = isName ? first : first.toLowerCase();
    if (seen.has(source)) continue;
    seen.add(source);
    pairs.push({ source, target, split: splitOf(source.toLowerCase()) });
  }
  pairs.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return options.split ? pairs.filter((p) => p.split === options.split) : pairs;
}

/** The prose books the summarization-like task reads (verse, plays and the Bible have no prose paragraphs). */
export const PROSE_BOOKS = [
  'austen-emma', 'austen-persuasion', 'austen-sense', 'bryant-stories', 'burgess-busterbrown', 'carroll-alice',
  'chesterton-ball', 'chesterton-brown', 'chesterton-thursday', 'edgeworth-parents', 'melville-moby_dick',
];

/**
 * Sentences of a paragraph: split after . ! ? (and a closing quote) before a capital or an opening
 * quote, except after the titles Mr. Mrs. Dr. St. Messrs. Mme. Capt. Col.
 */
export function splitSentences(paragraph) {
  return paragraph
    .split(/(?<!\b(?:Mr|Mrs|Dr|St|Messrs|Mme|Capt|Col)\.)(?<=[.!?]["'’”]?)\s+(?=["'‘“]?[A-Z])/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const STOP = new Set(
  'the and that with have this from they them their there were what when which would could should been will your into than then upon said very much more some such only other about after before being every never over these those shall while where whom whose here just also again once most many must might made make like well even ever each both does done upon nothing something himself herself itself myself yourself'.split(' '),
);
/** Content words of a sentence: lower-cased words of 4+ letters that are not on a short stop list. */
export function contentWords(sentence) {
  return new Set((sentence.toLowerCase().match(/[a-z]{4,}/g) ?? []).filter((w) => !STOP.has(w)));
}

/**
 * The summarization-like task's rule, the "key sentence" of a paragraph: the sentence that shares the
 * most distinct content words with the paragraph's other sentences (the centroid sentence of simple
 * extractive summarizers), the earliest on a tie. Returns its index.
 */
export function keySentenceIndex(sentences) {
  const words = sentences.map(contentWords);
  let best = 0;
  let bestScore = -1;
  words.forEach((w, i) => {
    const others = new Set(words.flatMap((o, j) => (j === i ? [] : [...o])));
    let score = 0;
    for (const x of w) if (others.has(x)) score++;
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/**
 * The key-sentence example of a run of sentences, or undefined where the task's filters drop it: a
 * passage of 25–80 words with no digits, whose key sentence (`keySentenceIndex`) has 5–35 words and
 * shares a content word with the others.
 */
function keySentenceExample(passage) {
  const source = passage.join(' ');
  const words = source.split(' ').length;
  if (words < 25 || words > 80 || /\d/.test(source)) return undefined;
  const k = keySentenceIndex(passage);
  const target = passage[k];
  const targetWords = target.split(' ').length;
  if (targetWords < 5 || targetWords > 35) return undefined;
  const others = new Set(passage.flatMap((s, j) => (j === k ? [] : [...contentWords(s)])));
  if ([...contentWords(target)].filter((w) => others.has(w)).length < 1) return undefined;
  return { source, target, lead: passage[0], keyIndex: k };
}

/** The prose books' paragraphs (hard line breaks joined; chapter headings and notes left out), as sentences. */
function* proseParagraphs() {
  for (const book of loadBooks()) {
    if (!PROSE_BOOKS.includes(book.id)) continue;
    for (const block of book.text.split(/\n\s*\n/)) {
      const paragraph = norm(block);
      if (!paragraph || /^(CHAPTER|\[)/.test(paragraph)) continue;
      yield { book: book.id, sentences: splitSentences(paragraph) };
    }
  }
}

/**
 * Examples of the summarization-like task: passages of 3 consecutive sentences (each paragraph of the
 * prose books, hard line breaks joined, cut into non-overlapping runs of 3 sentences from its start)
 * of 25–80 words with no digits → the passage's key sentence (`keySentenceIndex`), kept when that
 * sentence has 5–35 words and shares a content word with the other two. `lead` is the
 * first sentence (the lead baseline). Split by the hash of the passage; ordered as in the books.
 */
export function loadKeySentenceExamples(options = {}) {
  const examples = [];
  for (const { book, sentences } of proseParagraphs()) {
    for (let start = 0; start + 3 <= sentences.length; start += 3) {
      const example = keySentenceExample(sentences.slice(start, start + 3));
      if (example) examples.push({ ...example, book, split: splitOf(example.source) });
    }
  }
  return options.split ? examples.filter((e) => e.split === options.split) : examples;
}

const ORDERS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

/**
 * More training examples of the same task, from training text only (README: "Augmented training
 * set"). `windows`: in the paragraphs that hold no valid or test passage, every run of 3 consecutive
 * sentences, not only those starting at sentence 0, 3, 6, …; a paragraph holding a held-out passage
 * gives its training passages only, so no held-out sentence is trained on. `orders`: each passage in
 * its 6 sentence orders, the rule applied again to each (a tie goes to the sentence now earliest).
 * Every example is kept once; the training passages of `loadKeySentenceExamples` are all in it.
 * Ordered as in the books, the orders of a passage together.
 */
export function loadKeySentenceTrainingSet(options = {}) {
  const heldOut = new Set(loadKeySentenceExamples().filter((e) => e.split !== 'train').map((e) => e.source));
  const seen = new Set();
  const examples = [];
  for (const { book, sentences } of proseParagraphs()) {
    const starts = [];
    for (let start = 0; start + 3 <= sentences.length; start += 3) starts.push(start);
    const holdsHeldOut = starts.some((start) => heldOut.has(sentences.slice(start, start + 3).join(' ')));
    const runs = holdsHeldOut || !options.windows ? starts : sentences.slice(2).map((_, start) => start);
    for (const start of runs) {
      const passage = sentences.slice(start, start + 3);
      const first = keySentenceExample(passage);
      // The same filters as the task's own passages; a held-out passage's paragraph gives training passages only.
      if (!first || (splitOf(first.source) !== 'train' && starts.includes(start))) continue;
      for (const order of options.orders ? ORDERS : [ORDERS[0]]) {
        const example = keySentenceExample(order.map((i) => passage[i]));
        if (!example || seen.has(example.source)) continue;
        seen.add(example.source);
        examples.push({ ...example, book, split: 'train' });
      }
    }
  }
  return examples;
}
