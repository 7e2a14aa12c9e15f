import { describe, expect, it } from 'vitest';
import { heldOut, LabelledDataError, parseLabelled, SAMPLE_CSV } from './labelled-data.js';

const error = (text: string) => {
  try {
    parseLabelled(text);
  } catch (e) {
    expect(e).toBeInstanceOf(LabelledDataError);
    return (e as LabelledDataError).message;
  }
  throw new Error('no error');
};

describe('parseLabelled', () => {
  it('reads CSV with quoted commas, doubled quotes and line breaks, and any column order', () => {
    const data = parseLabelled('label,text\r\npos,"good, very ""good"""\nneg,"bad\nline"\n\nneg,plain\n');
    expect(data.format).toBe('csv');
    expect(data.examples).toEqual([{ text: 'good, very "good"', label: 'pos' }, { text: 'bad\nline', label: 'neg' }, { text: 'plain', label: 'neg' }]);
    expect(data.labels).toEqual(['neg', 'pos']);
  });

  it('reads JSONL (numbers as labels too), skipping blank lines', () => {
    const data = parseLabelled('{"text": "a b", "label": 1}\n\n{"text": "c", "label": "0", "extra": true}\n');
    expect(data.format).toBe('jsonl');
    expect(data.examples).toEqual([{ text: 'a b', label: '1' }, { text: 'c', label: '0' }]);
  });

  it('names the line of each error and what to do', () => {
    expect(error('text,label\na,x\nb,y,z\n')).toBe('line 3: 3 fields, but the header has 2 (text, label); quote a text that holds a comma');
    expect(error('text,label\n"multi\nline",x\nb,y\n"open,x\n')).toBe('line 5: a quoted field is never closed (a missing ")');
    expect(error('txt,lab\na,b\n')).toMatch(/^line 1: the header must name a "text" and a "label" column \(it has: "txt", "lab"\)$/);
    expect(error('text,label\n,x\n')).toBe('line 2: "text" is empty or not a string');
    expect(error('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n{"text": "c" "label": 1}\n')).toMatch(/^line 3: not valid JSON \(.+\); each line must be one object/);
    expect(error('{"text": "a", "label": "x"}\n[1, 2]\n')).toBe('line 2: expected an object such as {"text": "…", "label": "…"}');
    expect(error('{"text": "a"}\n')).toBe('line 1: "label" is missing');
    expect(error('text,label\na,x\nb,x\n')).toBe('every example has the label "x": a classifier needs at least two labels');
    expect(error('  \n\n')).toMatch(/^no data: paste CSV/);
    expect(error('text,label\n')).toBe('the header is there but no example follows it');
  });

  it('the sample parses into three labels of ten examples', () => {
    const data = parseLabelled(SAMPLE_CSV);
    expect(data.labels).toEqual(['horse', 'kitchen', 'sea']);
    expect(data.examples).toHaveLength(30);
  });
});

describe('heldOut', () => {
  it('sets aside every k-th example of each label, keeping one-example labels in training', () => {
    const ex = [...'aaaaabbbbc'].map((label, i) => ({ text: `t${i}`, label }));
    const { train, eval: held } = heldOut(ex, 0.25);
    expect(held.map((e) => e.text)).toEqual(['t3', 't8']);
    expect(train).toHaveLength(8);
    expect(train.some((e) => e.label === 'c')).toBe(true);
    const sample = heldOut(parseLabelled(SAMPLE_CSV).examples, 0.2);
    expect(sample.eval).toHaveLength(6);
    expect(new Set(sample.eval.map((e) => e.label)).size).toBe(3);
  });
});
