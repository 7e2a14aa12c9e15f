import { describe, expect, it } from 'vitest';
import { familyAnswer } from './family-answer.js';

describe('familyAnswer', () => {
  it('keeps what the user reads, in order, and leaves scores out', () => {
    expect(familyAnswer('fill-mask', [{ tokenStr: ' glad', score: 0.4 }, { tokenStr: 'happy', score: 0.2 }])).toBe('glad | happy');
    expect(familyAnswer('ner', [{ entityGroup: 'PER', start: 0, end: 4, score: 0.9 }, { entityGroup: 'LOC', start: 10, end: 18, score: 0.5 }])).toBe('PER[0,4) | LOC[10,18)');
    expect(familyAnswer('ner', [])).toBe('');
    expect(familyAnswer('qa', { answer: 'Harriet', start: 5, end: 12, score: 0.3 })).toBe('Harriet[5,12)');
    expect(familyAnswer('translate', [{ translationText: ' la maison ' }])).toBe('la maison');
    expect(familyAnswer('classify', [{ label: 'Trouser', score: 0.99 }, { label: 'Dress', score: 0.01 }])).toBe('Trouser | Dress');
  });

  it('tells different answers apart', () => {
    expect(familyAnswer('qa', { answer: 'Harriet', start: 5, end: 12, score: 0.3 })).not.toBe(familyAnswer('qa', { answer: 'Harriet', start: 40, end: 47, score: 0.3 }));
    expect(familyAnswer('classify', [{ label: 'Dress', score: 0.6 }, { label: 'Trouser', score: 0.4 }])).not.toBe('Trouser | Dress');
  });
});
