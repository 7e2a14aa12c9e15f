/**
 * Patterns as tokenizer.json stores them: `{ String: "literal" }` or `{ Regex: "..." }`. Hugging
 * Face compiles regexes with Oniguruma, whose `\s`, `\d` and `\w` are Unicode-aware; JavaScript's
 * are not quite (`\d` is ASCII only, `\s` adds U+FEFF and lacks U+0085), so those escapes are
 * rewritten to explicit Unicode classes before compiling.
 */
import { TokenizerError } from './errors.js';
import { escapeRegExp, WHITESPACE_CLASS } from './unicode.js';

export type PatternJson = { String: string } | { Regex: string } | string;

const WORD_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const CLASSES: Record<string, string> = { s: WHITESPACE_CLASS, d: '\\p{Nd}', w: WORD_CLASS };

/** Rewrites `\s \S \d \D \w \W` to Unicode classes (negated forms only outside `[...]`). */
export function translateRegex(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\' && i + 1 < source.length) {
      const n = source[i + 1]!;
      const lower = n.toLowerCase();
      if (lower in CLASSES && (!inClass || n === lower)) {
        const body = CLASSES[lower]!;
        out += inClass ? body : n === lower ? `[${body}]` : `[^${body}]`;
      } else out += c + n;
      i++;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return out;
}

/** A global RegExp for the pattern. Oniguruma syntax that JavaScript lacks is an error. */
export function compilePattern(pattern: PatternJson, where: string): RegExp {
  if (typeof pattern === 'string') return new RegExp(escapeRegExp(pattern), 'gu');
  if ('String' in pattern) return new RegExp(escapeRegExp(pattern.String), 'gu');
  if ('Regex' in pattern) {
    const candidates: [string, string][] = [
      [translateRegex(pattern.Regex), 'gu'],
      [pattern.Regex, 'gu'],
      [pattern.Regex, 'g'],
    ];
    for (const [source, flags] of candidates) {
      try {
        return new RegExp(source, flags);
      } catch {
        // try the next form
      }
    }
    throw new TokenizerError(`${where}: the regex ${JSON.stringify(pattern.Regex)} is not valid JavaScript RegExp syntax; rewrite it without Oniguruma-only constructs.`);
  }
  throw new TokenizerError(`${where}: pattern must be {"String": …} or {"Regex": …}, got ${JSON.stringify(pattern)}.`);
}

export function patternToJSON(pattern: PatternJson): { String: string } | { Regex: string } {
  return typeof pattern === 'string' ? { String: pattern } : pattern;
}
