// The CLI names no model family: families reach it through the registry (@tfkit/all), so a family a
// plugin registers gets every command too. Comments may name families; code and messages may not.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const FAMILY = /\b(bert|gpt-?2|bart|vit|marian|rnn-seq2seq|seq2seq)\b|@tfkit\/models-/i;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sources(file);
    return /\.(ts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [file] : [];
  });
}

/** The code without its comments (a `//` inside a string cuts the rest of that line: fine for a check that nothing appears). */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('apps/cli/src', () => {
  it('names no model family outside tests and comments', () => {
    const files = sources(import.meta.dirname);
    expect(files.length).toBeGreaterThan(20);
    const hits = files.flatMap((file) =>
      withoutComments(fs.readFileSync(file, 'utf8')).split('\n').flatMap((line, i) => (FAMILY.test(line) ? [`${path.relative(import.meta.dirname, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
