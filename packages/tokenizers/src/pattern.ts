/** Patterns as tokenizer.json stores them: `{ String: "literal" }` or `{ Regex: "..." }`. */
import { TokenizerError } from './errors.js';
import { escapeRegExp } from './unicode.js';

export type PatternJson = { String: string } | { Regex: string } | string;

/** A global RegExp for the pattern. Rust-regex/Oniguruma syntax that JavaScript lacks is an error. */
export function compilePattern(pattern: PatternJson, where: string): RegExp {
  if (typeof pattern === 'string') return new RegExp(escapeRegExp(pattern), 'gu');
  if ('String' in pattern) return new RegExp(escapeRegExp(pattern.String), 'gu');
  if ('Regex' in pattern) {
    for (const flags of ['gu', 'g']) {
      try {
        return new RegExp(pattern.Regex, flags);
      } catch {
        // try the next flag set
      }
    }
    throw new TokenizerError(`${where}: the regex ${JSON.stringify(pattern.Regex)} is not valid JavaScript RegExp syntax; rewrite it without Oniguruma-only constructs.`);
  }
  throw new TokenizerError(`${where}: pattern must be {"String": …} or {"Regex": …}, got ${JSON.stringify(pattern)}.`);
}

export function patternToJSON(pattern: PatternJson): { String: string } | { Regex: string } {
  return typeof pattern === 'string' ? { String: pattern } : pattern;
}
