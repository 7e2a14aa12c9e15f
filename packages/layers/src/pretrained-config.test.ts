import { describe, expect, it } from 'vitest';
import { checkHfLabelTypes, configWithLabels, defaultLabels, finishHfConfig, labelsFromHf, numLabels } from './pretrained-config.js';

describe('label maps', () => {
  it('defaultLabels names n classes LABEL_i both ways; numLabels counts id2label', () => {
    const labels = defaultLabels(3);
    expect(labels).toEqual({ id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' }, label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 } });
    expect(numLabels(labels)).toBe(3);
    expect(defaultLabels(0)).toEqual({ id2label: {}, label2id: {} });
  });

  it('configWithLabels fills defaults, makes numLabels labels, and derives label2id from a lone id2label', () => {
    const defaults = { size: 8, ...defaultLabels(2) };
    expect(configWithLabels(defaults, { size: 4 })).toEqual({ size: 4, ...defaultLabels(2) });
    expect(configWithLabels(defaults, { numLabels: 3 })).toEqual({ size: 8, ...defaultLabels(3) });
    expect(configWithLabels(defaults, { id2label: { 0: 'neg', 1: 'pos' }, numLabels: 5 })).toEqual({ size: 8, id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 } });
    expect(configWithLabels(defaults, { id2label: { 0: 'a' }, label2id: { a: 0, b: 1 } }).label2id).toEqual({ a: 0, b: 1 });
    expect(defaults).toEqual({ size: 8, ...defaultLabels(2) });
  });

  it('checkHfLabelTypes rejects a non-object id2label and a non-numeric num_labels through the family error', () => {
    const fail = (key: string, problem: string) => new RangeError(`${key} ${problem}`);
    expect(() => checkHfLabelTypes({ id2label: ['a', 'b'] }, fail)).toThrow(new RangeError('id2label must be an object of index → label'));
    expect(() => checkHfLabelTypes({ id2label: 'a' }, fail)).toThrow(RangeError);
    expect(() => checkHfLabelTypes({ num_labels: '3' }, fail)).toThrow(new RangeError('num_labels must be a positive integer, got "3"'));
    expect(() => checkHfLabelTypes({ id2label: null, num_labels: 3 }, fail)).not.toThrow();
  });

  it('labelsFromHf reads id2label with numeric keys, and label2id only when it names the same labels', () => {
    expect(labelsFromHf({ id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: '0', pos: 1 } })).toEqual({ id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 } });
    expect(labelsFromHf({ id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, other: 1 } })).toEqual({ id2label: { 0: 'neg', 1: 'pos' } });
  });

  it('labelsFromHf gives numLabels alone, or when num_labels disagrees with id2label (which it then overrides)', () => {
    expect(labelsFromHf({ num_labels: 4 })).toEqual({ numLabels: 4 });
    expect(labelsFromHf({ id2label: { 0: 'a', 1: 'b' }, num_labels: 3 })).toEqual({ numLabels: 3 });
    expect(labelsFromHf({ id2label: { 0: 'a', 1: 'b' }, num_labels: 2 })).toEqual({ id2label: { 0: 'a', 1: 'b' } });
    expect(labelsFromHf({ id2label: null, num_labels: '2' })).toEqual({});
    expect(labelsFromHf({})).toEqual({});
  });

  it('finishHfConfig writes string-keyed labels, drops num_labels, defaults torch_dtype and sorts the keys', () => {
    const out = finishHfConfig({ z: 1, num_labels: 2, a: 2 }, defaultLabels(2));
    expect(out).toEqual({ a: 2, id2label: { 0: 'LABEL_0', 1: 'LABEL_1' }, label2id: { LABEL_0: 0, LABEL_1: 1 }, torch_dtype: 'float32', z: 1 });
    expect(Object.keys(out)).toEqual(['a', 'id2label', 'label2id', 'torch_dtype', 'z']);
    expect(Object.keys((out['id2label'] as object))).toEqual(['0', '1']);
    expect(finishHfConfig({ torch_dtype: 'bfloat16' }, defaultLabels(1))['torch_dtype']).toBe('bfloat16');
  });
});
