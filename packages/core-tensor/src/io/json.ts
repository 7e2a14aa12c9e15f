/**
 * JSON helpers for error messages that never quote a file's contents: V8's `JSON.parse` errors
 * embed a snippet of the text (`Unexpected token 'r', "root:x:0:0…" is not valid JSON`), which
 * would echo whatever a hostile link points at. These name a line, column and offset instead.
 */

const WS = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/**
 * The offset (UTF-16 code units) of the first JSON syntax error in `text`, `text.length` when
 * it ends too early, or -1 when it is valid. Iterative, so deep nesting cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number {
  const n = text.length;
  const stack: string[] = []; // '{' or '['
  let i = 0;
  const skip = () => {
    while (i < n && WS.has(text[i] as string)) i++;
  };
  /** Scans a string starting at the opening quote; returns false at the first error (i points at it). */
  const string = (): boolean => {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return i++, true;
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          HEX4.lastIndex = i + 2;
          if (!HEX4.test(text)) return (i = Math.min(i + 2, n)), false;
          i += 5;
        } else if (e !== undefined && ESCAPES.has(e)) i++;
        else return (i = Math.min(i + 1, n)), false;
      }
    }
    return false;
  };
  for (;;) {
    // A value.
    skip();
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      skip();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else if (c === '{') {
        if (text[i] !== '"' || !string()) return i;
        skip();
        if (text[i] !== ':') return i;
        i++;
        continue;
      } else continue;
    } else if (c === '"') {
      if (!string()) return i;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return i;
    } else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return i;
      i = NUMBER.lastIndex;
    }
    // After a value: close containers or move to the next element.
    for (;;) {
      skip();
      const top = stack[stack.length - 1];
      if (top === undefined) return i === n ? -1 : i;
      if (text[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      if (top === '{') {
        skip();
        if (text[i] !== '"' || !string()) return i;
        skip();
        if (text[i] !== ':') return i;
        i++;
      }
      break;
    }
  }
}

/** Where `text` stops being JSON, as `line L, column C` (1-based) — or that it ends too early. */
export function jsonErrorLocation(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset < 0) return 'valid JSON';
  if (offset >= text.length) return text.trim() ? `the text ends early (after ${text.length} characters)` : 'the text is empty';
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1} (character ${offset})`;
}

/** `JSON.parse`, or `fail(location)` — an error naming the place, never quoting the text. */
export function parseJsonText(text: string, fail: (location: string) => Error): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw fail(jsonErrorLocation(text));
  }
}

/**
 * A JSON value described for an error message without quoting file contents at length: numbers,
 * booleans and null as is, short plain words (dtype names, model types) quoted, anything else by
 * type and size.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return /^[\w.\-/ ]{0,32}$/.test(value) ? `the string ${JSON.stringify(value)}` : `a string of ${value.length} characters`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
