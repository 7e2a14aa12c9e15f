// The baselines of the tiny-bert heads' model cards, on the same held-out test sets
// (prepare-finetune.mjs writes them):
//   node tooling/embedded/tiny-bert/baselines.mjs <dir>
// text classification: majority class; bag-of-words logistic regression (lower-cased words, tf-idf,
//   L2-normalised rows, multinomial, full-batch gradient descent), trained on classify-train and
//   again on classify-large-fit.
// token classification: all "O"; lookup of the entity strings seen in the training data (each with
//   its most frequent type, longest match first). Entity-level micro F1, exact spans (seqeval).
// question answering: the first gazetteer entity of the asked type in the passage; the same
//   skipping entities the question names. Exact match and F1 as SQuAD's script.
import fs from 'node:fs';
import path from 'node:path';
import { label, spans, words } from './gazetteer.mjs';

const dir = process.argv[2] ?? '/tmp/tiny-bert-data';
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const results = {};

// ---- text classification
function classifyBaselines(train, test) {
  const classes = [...new Set(train.map((r) => r.label))].sort();
  const counts = Object.fromEntries(classes.map((c) => [c, train.filter((r) => r.label === c).length]));
  const majority = classes.reduce((a, b) => (counts[b] > counts[a] ? b : a));
  const majorityAcc = test.filter((r) => r.label === majority).length / test.length;

  const toks = (t) => t.toLowerCase().match(/[a-z]+/g) ?? [];
  const vocab = new Map();
  const df = new Map();
  for (const r of train) for (const w of new Set(toks(r.text))) df.set(w, (df.get(w) ?? 0) + 1);
  for (const [w, n] of df) if (n >= 2) vocab.set(w, vocab.size);
  const idf = new Float64Array(vocab.size);
  for (const [w, i] of vocab) idf[i] = Math.log((1 + train.length) / (1 + df.get(w))) + 1;
  const featurize = (text) => {
    const f = new Map();
    for (const w of toks(text)) {
      const i = vocab.get(w);
      if (i !== undefined) f.set(i, (f.get(i) ?? 0) + 1);
    }
    let norm = 0;
    for (const [i, v] of f) {
      f.set(i, v * idf[i]);
      norm += (v * idf[i]) ** 2;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [i, v] of f) f.set(i, v / norm);
    return f;
  };
  const X = train.map((r) => featurize(r.text));
  const y = train.map((r) => classes.indexOf(r.label));
  const K = classes.length;
  const W = Array.from({ length: K }, () => new Float64Array(vocab.size));
  const b = new Float64Array(K);
  const scores = (x) => {
    const s = [...b];
    for (const [i, v] of x) for (let k = 0; k < K; k++) s[k] += W[k][i] * v;
    return s;
  };
  const lr = 5;
  const l2 = 1e-4;
  for (let epoch = 0; epoch < 200; epoch++) {
    const gW = Array.from({ length: K }, () => new Float64Array(vocab.size));
    const gb = new Float64Array(K);
    for (let n = 0; n < X.length; n++) {
      const s = scores(X[n]);
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, c) => a + c, 0);
      for (let k = 0; k < K; k++) {
        const g = e[k] / z - (k === y[n] ? 1 : 0);
        gb[k] += g;
        for (const [i, v] of X[n]) gW[k][i] += g * v;
      }
    }
    for (let k = 0; k < K; k++) {
      b[k] -= (lr * gb[k]) / X.length;
      for (let i = 0; i < vocab.size; i++) W[k][i] -= lr * (gW[k][i] / X.length + l2 * W[k][i]);
    }
  }
  const argmax = (s) => s.indexOf(Math.max(...s));
  const lrAcc = test.filter((r) => classes[argmax(scores(featurize(r.text)))] === r.label).length / test.length;
  return { train: train.length, majority: { class: majority, accuracy: majorityAcc }, bagOfWordsLogisticRegression: { accuracy: lrAcc, vocabulary: vocab.size } };
}
{
  const test = read('classify-test.jsonl');
  const small = classifyBaselines(read('classify-train.jsonl'), test);
  results['text-classification'] = { test: test.length, majority: small.majority, bagOfWordsLogisticRegression: small.bagOfWordsLogisticRegression };
  // The same regression trained on the passages the larger head is fitted on.
  if (fs.existsSync(path.join(dir, 'classify-large-fit.jsonl'))) {
    const large = classifyBaselines(read('classify-large-fit.jsonl'), test);
    results['text-classification'].bagOfWordsLogisticRegressionLarge = { train: large.train, ...large.bagOfWordsLogisticRegression };
  }
}

// ---- token classification
function entityF1(golds, preds) {
  let tp = 0;
  let np = 0;
  let ng = 0;
  for (let i = 0; i < golds.length; i++) {
    const g = new Set(spans(golds[i]).map((s) => s.join(':')));
    const p = spans(preds[i]).map((s) => s.join(':'));
    ng += g.size;
    np += p.length;
    tp += p.filter((s) => g.has(s)).length;
  }
  const precision = np ? tp / np : 0;
  const recall = ng ? tp / ng : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
{
  const train = read('ner-train.jsonl');
  const test = read('ner-test.jsonl');
  const seen = new Map();
  for (const r of train) {
    for (const [a, b, type] of spans(r.tags)) {
      const key = r.tokens.slice(a, b).join(' ');
      const byType = seen.get(key) ?? {};
      byType[type] = (byType[type] ?? 0) + 1;
      seen.set(key, byType);
    }
  }
  const entries = [...seen].map(([k, byType]) => [k.split(' '), Object.entries(byType).sort((p, q) => q[1] - p[1])[0][0]]).sort((p, q) => q[0].length - p[0].length);
  const lookup = (tokens) => {
    const tags = tokens.map(() => 'O');
    for (let i = 0; i < tokens.length; ) {
      const hit = entries.find(([ws]) => ws.every((w, k) => tokens[i + k] === w));
      if (!hit) {
        i++;
        continue;
      }
      hit[0].forEach((_, k) => (tags[i + k] = `${k ? 'I' : 'B'}-${hit[1]}`));
      i += hit[0].length;
    }
    return tags;
  };
  const golds = test.map((r) => r.tags);
  const entities = golds.reduce((n, t) => n + spans(t).length, 0);
  const unseen = test.reduce((n, r) => n + spans(r.tags).filter(([a, b]) => !seen.has(r.tokens.slice(a, b).join(' '))).length, 0);
  results['token-classification'] = {
    test: test.length, entities, entitiesUnseenInTraining: unseen,
    allO: entityF1(golds, test.map((r) => r.tokens.map(() => 'O'))),
    trainingLookup: entityF1(golds, test.map((r) => lookup(r.tokens))),
  };
}

// ---- question answering
const normalize = (s) => s.toLowerCase().replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '').replace(/\b(a|an|the)\b/g, ' ').split(/\s+/).filter(Boolean);
function squad(preds, golds) {
  let em = 0;
  let f1 = 0;
  for (let i = 0; i < preds.length; i++) {
    const p = normalize(preds[i]);
    const g = normalize(golds[i]);
    em += p.join(' ') === g.join(' ') ? 1 : 0;
    const common = new Map();
    for (const w of g) common.set(w, (common.get(w) ?? 0) + 1);
    let same = 0;
    for (const w of p) if ((common.get(w) ?? 0) > 0) (common.set(w, common.get(w) - 1), same++);
    f1 += same ? (2 * (same / p.length) * (same / g.length)) / (same / p.length + same / g.length) : 0;
  }
  return { exactMatch: em / preds.length, f1: f1 / preds.length };
}
{
  const test = read('qa-test.jsonl');
  const firstEntity = (r, skipNamed) => {
    const type = /\bwho\b/.test(r.question) ? 'PER' : 'LOC';
    const toks = words(r.context);
    const named = new Set(words(r.question));
    const found = spans(label(toks)).filter(([a, b, t]) => t === type && !(skipNamed && toks.slice(a, b).every((w) => named.has(w))));
    return found.length ? toks.slice(found[0][0], found[0][1]).join(' ') : '';
  };
  const golds = test.map((r) => r.answers.text[0]);
  results['question-answering'] = {
    test: test.length,
    firstEntityOfType: squad(test.map((r) => firstEntity(r, false)), golds),
    firstEntityOfTypeNotInQuestion: squad(test.map((r) => firstEntity(r, true)), golds),
  };
}

fs.writeFileSync(path.join(dir, 'baselines.json'), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
