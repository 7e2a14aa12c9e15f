import { describe, expect, it } from 'vitest';
import { DecoderRows } from './decoder-rows.js';

describe('DecoderRows', () => {
  it('starts every prompt at the start token, appends per row, and counts pending tokens', () => {
    const rows = new DecoderRows({ inputIds: [[5, 6], [7, 1]], attentionMask: [[1, 1], [1, 0]] }, 2);
    expect(rows.prefix).toEqual([[2], [2]]);
    expect(rows.tokens).toEqual([[2], [2]]);
    expect(rows.source).toEqual([0, 1]);
    expect(rows.pending).toBe(1);
    rows.pending = 0;
    rows.append([8, 9]);
    rows.append([10, 11]);
    expect(rows.tokens).toEqual([[2, 8, 10], [2, 9, 11]]);
    expect(rows.pending).toBe(2);
    expect(rows.prefix).toEqual([[2], [2]]);
  });

  it('select copies rows and says whether every row still decodes the prompt it did', () => {
    const rows = new DecoderRows({ inputIds: [[5], [7]], attentionMask: [[1], [1]] }, 0);
    expect(rows.select([0, 0, 1, 1])).toBe(false); // expansion into beams: new encoder rows needed
    expect(rows.source).toEqual([0, 0, 1, 1]);
    rows.append([1, 2, 3, 4]);
    expect(rows.select([1, 0, 3, 3])).toBe(true); // a reorder within each prompt
    expect(rows.tokens).toEqual([[0, 2], [0, 1], [0, 4], [0, 4]]);
    rows.append([5, 6, 7, 8]);
    expect(rows.tokens[2]).toEqual([0, 4, 7]);
    expect(rows.tokens[3]).toEqual([0, 4, 8]); // repeated rows are copies, not shared arrays
    expect(rows.select([2, 0])).toBe(false);
    expect(rows.source).toEqual([1, 0]);
  });
});
