/**
 * Reading tokenizer files defensively. `At` is where a value sits (the file and the JSON path);
 * `Fields` reads an object's fields with their types checked. Every failure is a TokenizerError
 * naming the file, the field and what was expected, quoting at most a short value — never the
 * file's contents.
 */
import { TokenizerError } from './errors.js';

/** Largest token id accepted (ids are stored in Int32Arrays). */
export const MAX_ID = 0x7fffffff;
/** How deeply tokenizer.json components may nest (Sequence inside Sequence …), in JSON path steps. */
const MAX_DEPTH = 32;
/** Longest JSON path shown in a message; a longer one keeps its start and end. */
const MAX_PATH = 100;
/** How many steps one Sequence (of normalizers, pre-tokenizers, …) may hold. */
const MAX_STEPS = 256;
const MAX_QUOTE = 40;
const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `s` as a JSON string, cut to a few dozen characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE)}…` : s);
}

/** A short rendering of any value for an error message: scalars as written, containers by kind. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Where a value sits: a file and the JSON path inside it (`model.vocab["foo"]`). */
export class At {
  constructor(
    readonly file: string,
    readonly path = '',
    readonly depth = 0,
  ) {}

  key(k: string): At {
    const path = IDENT.test(k) && k.length <= MAX_QUOTE ? (this.path ? `${this.path}.${k}` : k) : `${this.path}[${quote(k)}]`;
    return new At(this.file, path, this.depth + 1);
  }

  index(i: number): At {
    return new At(this.file, `${this.path}[${i}]`, this.depth + 1);
  }

  toString(): string {
    const path = this.path.length > MAX_PATH ? `${this.path.slice(0, 30)}…${this.path.slice(-(MAX_PATH - 30))}` : this.path;
    return path ? `${this.file}: ${path}` : this.file;
  }

  error(message: string): TokenizerError {
    return new TokenizerError(`${this.toString()}: ${message}`);
  }

  expected(what: string, got: unknown): TokenizerError {
    return this.error(`expected ${what}, got ${describeValue(got)}`);
  }

  /** Refuses components nested deeper than any real file does (recursion would overflow the stack). */
  checkDepth(): void {
    if (this.depth > MAX_DEPTH) throw this.error(`nested more than ${MAX_DEPTH} JSON levels deep; no real tokenizer file is.`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asArray(v: unknown, at: At): unknown[] {
  if (!Array.isArray(v)) throw at.expected('an array', v);
  return v;
}

export function asString(v: unknown, at: At): string {
  if (typeof v !== 'string') throw at.expected('a string', v);
  return v;
}

/** A non-negative integer id, at most MAX_ID. */
export function asId(v: unknown, at: At): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw at.expected('a non-negative integer id', v);
  if (v > MAX_ID) throw at.expected(`an id at most ${MAX_ID}`, v);
  return v;
}

export function asInt(v: unknown, at: At, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw at.expected(max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

/** Typed reads of one JSON object's own fields; an absent or `null` field takes the fallback when one is given. */
export class Fields {
  private constructor(
    readonly json: Record<string, unknown>,
    readonly at: At,
  ) {}

  static of(v: unknown, at: At): Fields {
    if (!isPlainObject(v)) throw at.expected('an object', v);
    return new Fields(v, at);
  }

  /** The raw value (own properties only: `toString` is not a field). */
  get(k: string): unknown {
    return Object.hasOwn(this.json, k) ? this.json[k] : undefined;
  }

  has(k: string): boolean {
    return this.get(k) != null;
  }

  where(k: string): At {
    return this.at.key(k);
  }

  /** @internal The field `k` checked by `check`, or `fallback` when absent (no fallback: an error). */
  read<T>(k: string, fallback: T | undefined, check: (v: unknown, at: At) => T): T {
    const v = this.get(k);
    if (v == null) {
      if (fallback === undefined) throw this.where(k).error(v === null ? 'must not be null' : 'is missing');
      return fallback;
    }
    return check(v, this.where(k));
  }

  string(k: string, fallback?: string): string {
    return this.read(k, fallback, asString);
  }

  /** A string, or `null` where the format allows none. */
  nullableString(k: string, fallback: string | null): string | null {
    const v = this.get(k);
    return v == null ? fallback : asString(v, this.where(k));
  }

  bool(k: string, fallback?: boolean): boolean {
    return this.read(k, fallback, (v, at) => {
      if (typeof v !== 'boolean') throw at.expected('true or false', v);
      return v;
    });
  }

  id(k: string, fallback?: number): number {
    return this.read(k, fallback, asId);
  }

  /** One of `values`, compared exactly. */
  oneOf<T extends string>(k: string, values: readonly T[], fallback?: T): T {
    return this.read(k, fallback, (v, at) => {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw at.expected(`one of ${values.join(', ')}`, v);
      return v as T;
    });
  }

  array(k: string, fallback?: unknown[]): unknown[] {
    return this.read(k, fallback, asArray);
  }

  object(k: string): Fields {
    return Fields.of(this.get(k), this.where(k));
  }
}

// Field reads few modules use, as functions (a bundle keeps every method of a class it uses, and
// only the functions it calls).

/** An integer field in [min, max]. */
export function fieldInt(f: Fields, k: string, fallback?: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  return f.read(k, fallback, (v, at) => asInt(v, at, min, max));
}

/** A string field of exactly one character (code point). */
export function fieldChar(f: Fields, k: string, fallback?: string): string {
  return f.read(k, fallback, (v, at) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 2 || [...v].length !== 1) throw at.expected('a single character', v);
    return v;
  });
}

/** The steps of a Sequence component: an array of at most MAX_STEPS objects. */
export function fieldSteps(f: Fields, k: string): Fields[] {
  const items = f.array(k);
  const at = f.where(k);
  if (items.length > MAX_STEPS) throw at.error(`holds ${items.length} steps; at most ${MAX_STEPS} are supported.`);
  return items.map((item, i) => Fields.of(item, at.index(i)));
}
