// Writes the pretraining text (training split of every book but the Bible) and the held-out text
// (the last 10% of the same books) for `tfkit tokenizer train` and `tfkit pretrain`:
//   node tooling/embedded/tiny-bert/prepare-pretraining.mjs <dir>
import fs from 'node:fs';
import path from 'node:path';
import { documentsText, PRETRAIN_EXCLUDE, splitBooks } from './corpus-split.mjs';

const dir = process.argv[2] ?? '/tmp/tiny-bert-data';
fs.mkdirSync(dir, { recursive: true });
const books = splitBooks().filter((b) => !PRETRAIN_EXCLUDE.includes(b.id));
const train = books.map((b) => documentsText(b.train)).join('\n');
const heldOut = books.map((b) => documentsText(b.heldOut)).join('\n');
fs.writeFileSync(path.join(dir, 'pretrain-train.txt'), train);
fs.writeFileSync(path.join(dir, 'pretrain-heldout.txt'), heldOut);
console.log(`${books.length} books: ${train.length} training characters, ${heldOut.length} held-out characters → ${dir}`);
