// Writes the fine-tuning data of the tiny-bert heads (JSONL for `tfkit finetune`), each with a
// held-out test set drawn only from the held-out 10% of the books (corpus-split.mjs):
//   node tooling/embedded/tiny-bert/prepare-finetune.mjs <dir>
//
// classify-{train,test}.jsonl  author attribution: passages of ≥ 40 words (consecutive sentences)
//                              by Austen, Chesterton, Edgeworth or Melville; 300 / 100 per author.
// classify-large-{fit,val}     the same task with 2,250 / 250 training passages per author.
// ner-{train,test}.jsonl       token classification: sentences of Emma and Sense and Sensibility
//                              (train) and of the held-out end of Persuasion (test — mostly names
//                              never seen in training), words tagged by gazetteer.mjs (BIO, PER/LOC).
// qa-{train,test}.jsonl        extractive QA by a rule: a passage of 2–5 consecutive sentences (≤ 110
//                              words); up to three (chosen at random) of its sentences (≤ 30 words)
//                              naming a gazetteer entity become questions: the sentence,
//                              the entity replaced by "who" (PER) or "what place" (LOC) and
//                              the end mark by "?"; the answer is that occurrence of the entity in the
//                              passage. Only passages that name at least two different entities of
//                              the answer's type are used. Train: Emma and Sense and Sensibility; test: the held-out ends
//                              of all three novels.
// qa-large-{fit,val}.jsonl     the same rule over all three novels' training text, cut eight ways.
import fs from 'node:fs';
import path from 'node:path';
import { sentences, splitBooks } from './corpus-split.mjs';
import { label, spans, words } from './gazetteer.mjs';
import { rng } from './rng.mjs';

const dir = process.argv[2] ?? '/tmp/tiny-bert-data';
fs.mkdirSync(dir, { recursive: true });
const books = Object.fromEntries(splitBooks().map((b) => [b.id, b]));

function sample(items, n, random) {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}
const write = (name, rows) => fs.writeFileSync(path.join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const prose = (paragraphs) => paragraphs.filter((p) => /[a-z]/.test(p)).flatMap(sentences);
const wordCount = (s) => s.split(/\s+/).length;

// ---- author attribution
const AUTHORS = { austen: ['austen-emma', 'austen-persuasion', 'austen-sense'], chesterton: ['chesterton-ball', 'chesterton-brown', 'chesterton-thursday'], edgeworth: ['edgeworth-parents'], melville: ['melville-moby_dick'] };
function passages(paragraphs, minWords = 40) {
  const out = [];
  let cur = [];
  for (const s of prose(paragraphs)) {
    cur.push(s);
    if (wordCount(cur.join(' ')) >= minWords) {
      out.push(cur.join(' '));
      cur = [];
    }
  }
  return out;
}
const classify = { train: [], test: [] };
for (const [author, ids] of Object.entries(AUTHORS)) {
  for (const [split, key, n] of [['train', 'train', 300], ['test', 'heldOut', 100]]) {
    const pool = ids.flatMap((id) => passages(books[id][key]));
    classify[split].push(...sample(pool, n, rng(split === 'train' ? 1 : 2)).map((text) => ({ text, label: author })));
  }
}
write('classify-train.jsonl', sample(classify.train, classify.train.length, rng(3)));
write('classify-test.jsonl', classify.test);
// A larger training set for the same test: 2,500 training passages per author (the smallest pool,
// Edgeworth's, has 2,725), 2,250 of them to fit and 250 to validate.
const classifyLarge = { fit: [], val: [] };
for (const [author, ids] of Object.entries(AUTHORS)) {
  const rows = sample(ids.flatMap((id) => passages(books[id].train)), 2500, rng(41)).map((text) => ({ text, label: author }));
  classifyLarge.fit.push(...rows.slice(0, 2250));
  classifyLarge.val.push(...rows.slice(2250));
}
write('classify-large-fit.jsonl', sample(classifyLarge.fit, classifyLarge.fit.length, rng(42)));
write('classify-large-val.jsonl', classifyLarge.val);

// ---- token classification
function nerRows(paragraphs) {
  return prose(paragraphs).map((s) => words(s)).filter((w) => w.length >= 5 && w.length <= 50).map((tokens) => ({ tokens, tags: label(tokens) }));
}
const nerTrainPool = ['austen-emma', 'austen-sense'].flatMap((id) => nerRows(books[id].train));
const withEntity = nerTrainPool.filter((r) => r.tags.some((t) => t !== 'O'));
const without = nerTrainPool.filter((r) => r.tags.every((t) => t === 'O'));
const nerTrain = sample([...sample(withEntity, 1500, rng(4)), ...sample(without, 500, rng(5))], 2000, rng(6));
const nerTest = nerRows(books['austen-persuasion'].heldOut);
write('ner-train.jsonl', nerTrain.map((r) => ({ tokens: r.tokens, tags: r.tags })));
write('ner-test.jsonl', nerTest.map((r) => ({ tokens: r.tokens, tags: r.tags })));

// ---- question answering
function qaRows(paragraphs, random) {
  const sents = prose(paragraphs);
  const rows = [];
  for (let i = 0; i < sents.length; ) {
    const n = 2 + Math.floor(random() * 4);
    const group = sents.slice(i, i + n);
    i += n;
    const context = group.join(' ');
    if (wordCount(context) > 110) continue;
    // Candidate question sentences: ≤ 30 words, naming an entity.
    const candidates = [];
    let offset = 0;
    for (const s of group) {
      const start = context.indexOf(s, offset);
      offset = start + s.length;
      if (wordCount(s) > 30) continue;
      const toks = words(s);
      // Character offsets of the words in the sentence.
      const at = [];
      let p = 0;
      for (const t of toks) {
        p = s.indexOf(t, p);
        at.push(p);
        p += t.length;
      }
      for (const [a, b, type] of spans(label(toks))) candidates.push({ s, start, a: at[a], b: at[b - 1] + toks[b - 1].length, type });
    }
    // Only passages naming at least two different entities of the answer's type: the answer is never the only candidate.
    const named = (type) => new Set(spans(label(words(context))).filter(([, , t]) => t === type).map(([a, b]) => words(context).slice(a, b).join(' '))).size;
    candidates.splice(0, candidates.length, ...candidates.filter((c) => named(c.type) >= 2));
    if (!candidates.length) continue;
    for (const c of sample(candidates, 3, random)) {
      const answer = c.s.slice(c.a, c.b);
      const question = `${c.s.slice(0, c.a)}${c.type === 'PER' ? 'who' : 'what place'}${c.s.slice(c.b)}`.replace(/[.!?;:,'"\s]*$/, '?');
      rows.push({ question, context, answers: { text: [answer], answer_start: [c.start + c.a] } });
    }
  }
  return rows;
}
const qaTrain = sample(['austen-emma', 'austen-sense'].flatMap((id) => qaRows(books[id].train, rng(7))), 1200, rng(8));
const qaTest = sample(['austen-emma', 'austen-persuasion', 'austen-sense'].flatMap((id) => qaRows(books[id].heldOut, rng(9))), 300, rng(10));
write('qa-train.jsonl', qaTrain);
write('qa-test.jsonl', qaTest);

// A larger question set by the same rule, for the head trained on more questions: the training
// paragraphs of all three novels, each book's first 90% for fitting and its last 10% (contiguous,
// so no sentence is on both sides) for validation. The fitting text is cut into passages eight
// times (seeds 20–27: other passage boundaries, other questions); repeated (question, passage)
// pairs are kept once. The test set stays qa-test.jsonl.
const QA_BOOKS = ['austen-emma', 'austen-persuasion', 'austen-sense'];
const qaLarge = { fit: [], val: [] };
const seen = new Set();
for (const id of QA_BOOKS) {
  const paragraphs = books[id].train;
  const cut = Math.round(paragraphs.length * 0.9);
  for (let seed = 20; seed < 28; seed++) {
    for (const row of qaRows(paragraphs.slice(0, cut), rng(seed))) {
      const key = `${row.question}\u0000${row.context}`;
      if (seen.has(key)) continue;
      seen.add(key);
      qaLarge.fit.push(row);
    }
  }
  qaLarge.val.push(...qaRows(paragraphs.slice(cut), rng(30)));
}
write('qa-large-fit.jsonl', sample(qaLarge.fit, qaLarge.fit.length, rng(31)));
write('qa-large-val.jsonl', qaLarge.val);

console.log(JSON.stringify({ classify: { train: classify.train.length, test: classify.test.length, largeFit: classifyLarge.fit.length, largeVal: classifyLarge.val.length }, ner: { train: nerTrain.length, test: nerTest.length }, qa: { train: qaTrain.length, test: qaTest.length, largeFit: qaLarge.fit.length, largeVal: qaLarge.val.length }, dir }));
