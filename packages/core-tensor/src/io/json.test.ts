import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { describeValue, jsonErrorLocation, jsonErrorOffset } from './json.js';

const VALID = [
  '{}',
  '[]',
  ' {"a": [1, -2.5e+3, true, false, null, "x\\u00e9\\n"], "b": {"c": {}}}\n',
  '"just a string"',
  '0',
  '-0.0e-0',
  '[[[[[]]]]]',
  '{"": ""}',
];

function validates(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('jsonErrorOffset', () => {
  it('accepts valid JSON and finds the first error in invalid JSON', () => {
    for (const text of VALID) expect(jsonErrorOffset(text), text).toBe(-1);
    const cases: [string, number][] = [
      ['', 0],
      ['{', 1],
      ['{"a" 1}', 5],
      ['{"a": 1,}', 8],
      ['[1 2]', 3],
      ['tru', 3],
      ['nul!', 3],
      ['01', 1],
      ['"a\nb"', 2],
      ['"\\x"', 2],
      ['"\\u12g4"', 3],
      ['{} x', 3],
      ['{"a": -}', 6],
      ['root:x:0:0', 0],
    ];
    for (const [text, offset] of cases) expect(jsonErrorOffset(text), JSON.stringify(text)).toBe(offset);
  });

  it('agrees with JSON.parse on 3000 seeded mutations of valid documents', () => {
    const rng = new Random(11);
    const alphabet = '{}[]",:\\ \n0123456789-+.eEtrufalsn"abc\u0001';
    for (let n = 0; n < 3000; n++) {
      let text = VALID[rng.int(VALID.length)] as string;
      for (let k = rng.int(3) + 1; k > 0; k--) {
        const at = rng.int(text.length + 1);
        const c = alphabet[rng.int(alphabet.length)] as string;
        const op = rng.int(3);
        text = op === 0 ? text.slice(0, at) + c + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at + 1);
      }
      expect(jsonErrorOffset(text) === -1, JSON.stringify(text)).toBe(validates(text));
    }
  });

  it('handles nesting far deeper than the call stack', () => {
    expect(jsonErrorOffset('['.repeat(200_000) + ']'.repeat(200_000))).toBe(-1);
    expect(jsonErrorOffset('['.repeat(200_000))).toBe(200_000);
  });
});

describe('jsonErrorLocation and describeValue', () => {
  it('name a line and column, and describe values without quoting long text', () => {
    expect(jsonErrorLocation('{\n  "a": 1,\n  oops\n}')).toBe('line 3, column 3 (character 14)');
    expect(jsonErrorLocation('{"a": 1')).toBe('the text ends early (after 7 characters)');
    expect(jsonErrorLocation('  ')).toBe('the text is empty');
    expect(describeValue('F8_E4M3')).toBe('the string "F8_E4M3"');
    expect(describeValue('password=hunter2; token=abc')).toBe('a string of 27 characters');
    expect(describeValue(3)).toBe('number 3');
    expect(describeValue([1, 2])).toBe('an array of 2');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue(null)).toBe('null');
  });
});
