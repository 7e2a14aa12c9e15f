/** Test-only: random text from a seeded generator, mixing the scripts and characters that break tokenizers. */
import type { Random } from '@tfkit/core-tensor/lite';

const PARTS: readonly (readonly string[])[] = [
  ['the', 'Quick', 'BROWN', 'fox', "don't", "it's", "WE'LL", 'naïve', 'Ångström', 'café', 'straße', 'İstanbul', 'ΣΑΣ', 'x'],
  [' ', ' ', ' ', '  ', '\t', '\n', '\n\n', '\r\n', '\u00a0', '\u3000', '\u2009', '\u0085', '\u200b', '\ufeff'],
  ['.', ',', '!', '?', '...', '—', '…', '"', "'", '(', ')', '$', '%', '#', '@', '&', '*', '+', '=', '<', '>', '|', '~', '^', '`', '¿', '«', '»'],
  ['0', '42', '3.14', '1,000', '２０２４', '٣', '½', '²'],
  ['你好', '世界', '東京', 'の', 'テスト', '한국어', '안녕'],
  ['مرحبا', 'שלום', '\u200f', '\u202e'],
  ['😀', '👍🏽', '👩‍👩‍👧‍👦', '🇯🇵', '🏳️‍🌈', '❤️', '\u{1F9D1}\u200d\u{1F4BB}'],
  ['e\u0301', 'a\u0308', 'Z\u0324\u0354\u0367\u0311', '\u0301', 'ᄀ\u1161\u11a8', 'ﬁ', 'Ⅻ', 'ｶ'],
  ['\u0000', '\u0007', '\u001b', '\u007f', '\u0008', '\ufffd', '\u00ad', '\ue000'],
  ['नमस्ते', 'Привет', 'Γειά', 'ไทย', 'ქართ'],
  ['supercalifragilisticexpialidocious', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'https://example.com/a?b=c', 'foo_bar.baz'],
];

/** A random string of about `length` pieces. `specials` are inserted now and then. */
export function randomText(rng: Random, length: number, specials: readonly string[] = []): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    if (specials.length > 0 && rng.random() < 0.05) {
      out += specials[rng.int(specials.length)]!;
      continue;
    }
    const group = PARTS[rng.int(PARTS.length)]!;
    out += group[rng.int(group.length)]!;
    if (rng.random() < 0.5) out += ' ';
  }
  return out;
}

/** A random string of arbitrary UTF-16 units, lone surrogates included. */
export function randomUnits(rng: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const r = rng.random();
    if (r < 0.5) out += String.fromCharCode(32 + rng.int(95));
    else if (r < 0.7) out += String.fromCharCode(rng.int(0x10000));
    else if (r < 0.8) out += String.fromCharCode(0xd800 + rng.int(0x800));
    else out += String.fromCodePoint(0x10000 + rng.int(0x100000));
  }
  return out;
}

/** Well-formed random code points from the whole Unicode range (no surrogates). */
export function randomCodePoints(rng: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    let cp = rng.random() < 0.5 ? rng.int(0x3000) : rng.int(0x110000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    out += String.fromCodePoint(cp);
  }
  return out;
}
