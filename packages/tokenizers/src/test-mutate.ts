/**
 * Test-only: seeded mutations of JSON documents and of file bytes, for the fuzz suite. Structural
 * mutations change a value's type, delete or duplicate entries, put huge, negative or fractional
 * numbers where ids go, and nest values deeply; byte mutations flip bits, truncate and splice.
 */
import type { Random } from '@tfkit/core-tensor/lite';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

const NUMBERS = [0, 1, -1, -3, 0.5, 1.5, 2, 7, 255, 65_535, 1e9, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e300, -1e300];
const STRINGS = [
  '', ' ', 'x', 'big', 'a b', 'a b c', '[UNK]', '<unk>', '[CLS]', '$A', '$B', '$A:1', 'toString', '__proto__', 'constructor',
  'Sequence', 'BPE', 'WordPiece', 'WordLevel', 'Unigram', 'ByteLevel', 'Isolated', 'Removed', 'Left', 'always', 'first',
  '\u0000', '\ud800', '😀', '\u2581', '(a+)+$', '[', '\\', 'ab'.repeat(5000),
];

/** A random JSON value, unlike `v` in type where possible. */
export function otherValue(rng: Random, v: Json | undefined): Json {
  const kinds = ['number', 'string', 'boolean', 'null', 'array', 'object'].filter((k) => k !== kindOf(v));
  switch (pick(rng, kinds)) {
    case 'number':
      return pick(rng, NUMBERS);
    case 'string':
      return pick(rng, STRINGS);
    case 'boolean':
      return rng.random() < 0.5;
    case 'null':
      return null;
    case 'array':
      return pick(rng, [[], [1, 2], ['a', 'b'], [null], [{}], ['a b']] as Json[]);
    default:
      return pick(rng, [{}, { type: 'Sequence' }, { type: 'BPE' }, { String: 'x' }, { Regex: '(' }, { id: 'A', type_id: 0 }, { Fixed: 1e9 }] as Json[]);
  }
}

function kindOf(v: Json | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isContainer(v: Json | undefined): v is Json[] | { [key: string]: Json } {
  return typeof v === 'object' && v !== null;
}

function keysOf(v: Json[] | { [key: string]: Json }): (string | number)[] {
  return Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
}

/** Components whose `Sequence` form can nest, and the key holding the steps. */
const SEQUENCE_KEYS: Record<string, string> = { normalizer: 'normalizers', pre_tokenizer: 'pretokenizers', post_processor: 'processors', decoder: 'decoders' };

/**
 * Applies one structural mutation to `root` in place (pass a copy) and says what it did. The
 * target is found by a random walk down from the root, so every top-level entry is hit about as
 * often, however large the vocab is.
 */
export function mutateTree(rng: Random, root: Json): string {
  if (!isContainer(root) || keysOf(root).length === 0) return 'nothing to mutate';
  let parent: Json[] | { [key: string]: Json } = root;
  let key: string | number = pick(rng, keysOf(root));
  let path = String(key);
  for (;;) {
    const v = (parent as Record<string | number, Json>)[key];
    if (!isContainer(v) || keysOf(v).length === 0 || rng.random() < 0.3) break;
    parent = v;
    key = pick(rng, keysOf(v));
    path += `.${key}`;
  }
  const target = parent as Record<string | number, Json>;
  const v = target[key];
  const set = (value: Json) => {
    target[key] = value;
  };
  const op = rng.int(9);
  switch (op) {
    case 0:
      set(otherValue(rng, v));
      return `${path}: changed type`;
    case 1:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete target[key];
      return `${path}: deleted`;
    case 2: {
      // Duplicate: an array element twice, or a sibling's value under this key (a vocab id shared).
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(v!));
      else {
        const sibling = pick(rng, Object.keys(parent));
        set(structuredClone(target[sibling]!));
      }
      return `${path}: duplicated`;
    }
    case 3:
      set(typeof v === 'number' ? pick(rng, [-v - 1, v * 1e9, v + 0.5, -0.5, 2 ** 31, 2 ** 32 + v, 1e300]) : pick(rng, NUMBERS));
      return `${path}: number`;
    case 4: {
      const depth = pick(rng, [2, 10, 100, 1000]);
      let nested: Json = v ?? null;
      const asArray = rng.random() < 0.5;
      for (let d = 0; d < depth; d++) nested = asArray ? [nested] : { [typeof key === 'string' ? key : 'a']: nested };
      set(nested);
      return `${path}: nested ${depth} deep`;
    }
    case 5: {
      const component = pick(rng, Object.keys(SEQUENCE_KEYS));
      const depth = pick(rng, [1, 3, 40, 70, 1000]);
      let nested: Json = (root as Record<string, Json>)[component] ?? null;
      for (let d = 0; d < depth; d++) nested = { type: 'Sequence', [SEQUENCE_KEYS[component]!]: [nested] };
      (root as Record<string, Json>)[component] = nested;
      return `${component}: Sequence ${depth} deep`;
    }
    case 6:
      if (typeof v === 'string') {
        set(pick(rng, [v.slice(0, rng.int(v.length + 1)), v + pick(rng, STRINGS), v.repeat(3), '', v.split('').reverse().join('')]));
        return `${path}: string edited`;
      }
      set(pick(rng, STRINGS));
      return `${path}: string`;
    case 7: {
      // Swap with another entry of the same container.
      const other = pick(rng, keysOf(parent));
      const tmp = target[other]!;
      target[other] = v!;
      set(tmp);
      return `${path}: swapped with ${other}`;
    }
    default:
      if (Array.isArray(v)) v.length = rng.int(v.length + 1);
      else if (isContainer(v)) {
        for (const k of Object.keys(v)) if (rng.random() < 0.5) delete (v as Record<string, Json>)[k];
      } else set(null);
      return `${path}: emptied`;
  }
}

/** Byte-level damage: bit flips, truncation, spliced junk, or a duplicated key. */
export function mutateBytes(rng: Random, text: string): { bytes: Uint8Array; what: string } {
  let bytes = new TextEncoder().encode(text);
  const op = rng.int(5);
  if (op === 0) {
    const flips = 1 + rng.int(8);
    bytes = bytes.slice();
    for (let k = 0; k < flips; k++) {
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    return { bytes, what: `${flips} bit flips` };
  }
  if (op === 1) {
    const at = rng.int(bytes.length);
    return { bytes: bytes.slice(0, at), what: `truncated at ${at}` };
  }
  if (op === 2) {
    const at = rng.int(bytes.length);
    const junk = new TextEncoder().encode(pick(rng, ['{', '}', ']', ',', '"', '\\', ':', 'null', '-1', '1e999', '\u0000', '\ud800', '😀', '[[[[[[[[']));
    const out = new Uint8Array(bytes.length + junk.length);
    out.set(bytes.subarray(0, at));
    out.set(junk, at);
    out.set(bytes.subarray(at), at + junk.length);
    return { bytes: out, what: `spliced at ${at}` };
  }
  if (op === 3) {
    // A key written twice: JSON.parse keeps the last one.
    const keys = [...text.matchAll(/"([A-Za-z_]{1,30})":/g)];
    if (keys.length === 0) return { bytes, what: 'unchanged' };
    const m = pick(rng, keys);
    const dup = `"${m[1]}": ${JSON.stringify(otherValue(rng, undefined))}, `;
    const edited = text.slice(0, m.index) + dup + text.slice(m.index);
    return { bytes: new TextEncoder().encode(edited), what: `duplicate key ${m[1]}` };
  }
  const at = rng.int(bytes.length);
  const len = 1 + rng.int(64);
  const out = new Uint8Array(bytes.length - Math.min(len, bytes.length - at));
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(at + len), at);
  return { bytes: out, what: `deleted ${len} bytes at ${at}` };
}
