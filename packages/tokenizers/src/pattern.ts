/**
 * Patterns as tokenizer.json stores them: `{ String: "literal" }` or `{ Regex: "..." }`. Hugging
 * Face compiles regexes with Oniguruma, whose `\s`, `\d` and `\w` are Unicode-aware; JavaScript's
 * are not quite (`\d` is ASCII only, `\s` adds U+FEFF and lacks U+0085), so those escapes are
 * rewritten to explicit Unicode classes before compiling.
 */
import { Fields, quote, type At } from './json-reader.js';
import { escapeRegExp, WHITESPACE_CLASS } from './unicode.js';

export type PatternJson = { String: string } | { Regex: string } | string;

const WORD_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const CLASSES: Record<string, string> = { s: WHITESPACE_CLASS, d: '\\p{Nd}', w: WORD_CLASS };

/**
 * Rewrites `\s \S \d \D \w \W` to Unicode classes (negated forms only outside `[...]`), and
 * Oniguruma's case-insensitive groups `(?i:…)` (GPT-4 / Llama 3 split patterns), which Node 20's
 * RegExp lacks, to groups with both cases spelt out.
 */
export function translateRegex(source: string): string {
  let out = '';
  let inClass = false;
  const groups: boolean[] = [];
  let caseless = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\' && i + 1 < source.length) {
      const n = source[i + 1]!;
      const lower = n.toLowerCase();
      if ((n === 'p' || n === 'P' || n === 'u') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 2);
        const end = close < 0 ? source.length : close + 1;
        out += source.slice(i, end);
        i = end - 1;
        continue;
      }
      if (lower in CLASSES && (!inClass || n === lower)) {
        const body = CLASSES[lower]!;
        out += inClass ? body : n === lower ? `[${body}]` : `[^${body}]`;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += caseless > 0 && c !== ']' ? bothCases(c) : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      continue;
    }
    if (c === '(') {
      const ci = source.startsWith('(?i:', i);
      groups.push(ci);
      if (ci) {
        caseless++;
        out += '(?:';
        i += 3;
        continue;
      }
    } else if (c === ')') {
      if (groups.pop()) caseless--;
    } else if (caseless > 0 && c.toLowerCase() !== c.toUpperCase()) {
      out += `[${bothCases(c)}]`;
      continue;
    }
    out += c;
  }
  return out;
}

function bothCases(c: string): string {
  const l = c.toLowerCase();
  const u = c.toUpperCase();
  return l === u ? c : l.length === 1 && u.length === 1 ? l + u : c;
}

/**
 * A global RegExp for the pattern (`{"String": …}`, `{"Regex": …}`, or a plain string taken
 * literally). Oniguruma syntax that JavaScript lacks is an error; `at` names the field in errors.
 */
export function compilePattern(pattern: unknown, at: At): RegExp {
  if (typeof pattern === 'string') return new RegExp(escapeRegExp(pattern), 'gu');
  const f = Fields.of(pattern, at);
  if (f.get('String') !== undefined) return new RegExp(escapeRegExp(f.string('String')), 'gu');
  const source = f.get('Regex') === undefined ? undefined : f.string('Regex');
  if (source === undefined) throw at.expected('a pattern: {"String": …} or {"Regex": …}', pattern);
  const candidates: [string, string][] = [
    [translateRegex(source), 'gu'],
    [source, 'gu'],
    [source, 'g'],
  ];
  for (const [body, flags] of candidates) {
    try {
      return new RegExp(body, flags);
    } catch {
      // try the next form
    }
  }
  throw f.where('Regex').error(`${quote(source)} is not valid JavaScript RegExp syntax; rewrite it without Oniguruma-only constructs.`);
}

export function patternToJSON(pattern: PatternJson): { String: string } | { Regex: string } {
  return typeof pattern === 'string' ? { String: pattern } : pattern;
}
