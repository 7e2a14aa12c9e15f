/**
 * GPT-2's reversible byte ↔ printable-character map (Radford et al. 2019, openai/gpt-2 encoder.py):
 * printable Latin-1 bytes stand for themselves, the other 68 bytes are shifted to U+0100…U+0143,
 * so every byte string becomes a string of visible characters that BPE can work on.
 */
/** `BYTE_TO_CHAR[b]` is the character standing for byte `b`. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return table;
})();

/** `CHAR_TO_BYTE[c]` is the byte a map character with code `c` stands for, or -1. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/** The 256 map characters, in byte order: the initial alphabet of a byte-level BPE. */
export function byteLevelAlphabet(): string[] {
  return [...BYTE_TO_CHAR];
}

/**
 * Byte-level view of `word`: each UTF-8 byte as its map character, and for each byte the UTF-16
 * range `[start, end)` of the character it came from (so a token holding part of a character
 * shares that character's span). A lone surrogate is encoded as U+FFFD, as TextEncoder does.
 */
export function toByteLevel(word: string): { mapped: string; starts: Int32Array; ends: Int32Array } {
  let mapped = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < word.length; ) {
    let cp = word.charCodeAt(i);
    let len = 1;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < word.length ? word.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        len = 2;
      } else {
        cp = 0xfffd;
      }
    }
    const end = i + len;
    const push = (b: number) => {
      mapped += BYTE_TO_CHAR[b]!;
      starts.push(i);
      ends.push(end);
    };
    if (cp < 0x80) push(cp);
    else if (cp < 0x800) {
      push(0xc0 | (cp >> 6));
      push(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      push(0xe0 | (cp >> 12));
      push(0x80 | ((cp >> 6) & 63));
      push(0x80 | (cp & 63));
    } else {
      push(0xf0 | (cp >> 18));
      push(0x80 | ((cp >> 12) & 63));
      push(0x80 | ((cp >> 6) & 63));
      push(0x80 | (cp & 63));
    }
    i = end;
  }
  return { mapped, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/** Whether every unit of `word` is ASCII (then bytes and UTF-16 units coincide). */
export function isAscii(word: string): boolean {
  for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** ASCII `word` in map characters (fast path of `toByteLevel`). */
export function asciiToByteLevel(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) out += BYTE_TO_CHAR[word.charCodeAt(i)]!;
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes map characters back to text. A token containing a character outside the map (an added
 * token such as `<|endoftext|>` is inside it, but one with other characters is not) contributes its
 * own UTF-8 bytes; invalid UTF-8 becomes U+FFFD.
 */
export function fromByteLevel(tokens: readonly string[]): string {
  const bytes: number[] = [];
  for (const token of tokens) {
    let ok = true;
    const start = bytes.length;
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c]! : -1;
      if (b < 0) {
        ok = false;
        break;
      }
      bytes.push(b);
    }
    if (!ok) {
      bytes.length = start;
      for (const b of new TextEncoder().encode(token)) bytes.push(b);
    }
  }
  return utf8.decode(Uint8Array.from(bytes));
}
