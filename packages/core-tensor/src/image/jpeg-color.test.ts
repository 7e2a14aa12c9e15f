import { describe, expect, it } from 'vitest';
import { convertYcc, isPlainYcc, jpegLayout, upsampleChroma } from './jpeg-color.js';

// Expected values worked by hand from libjpeg-turbo's jdsample.c / jdcolor.c formulas.
describe('libjpeg chroma upsampling and colour conversion', () => {
  it('h2v1: 3/4 near + 1/4 far with biases 1 and 2, end columns copied', () => {
    expect([...upsampleChroma(new Uint8Array([0, 100]), 2, 1, 2, 1, 4, 1)]).toEqual([0, 25, 75, 100]);
    // Odd width: the last chroma sample's first output only.
    expect([...upsampleChroma(new Uint8Array([0, 100, 40]), 3, 1, 2, 1, 5, 1)]).toEqual([0, 25, (300 + 0 + 1) >> 2, (300 + 40 + 2) >> 2, (120 + 100 + 1) >> 2]);
  });

  it('h2v2: column sums 3·near row + far row, then (3·this + neighbour + 8 | 7) / 16; edge rows repeat', () => {
    const out = upsampleChroma(new Uint8Array([118, 138, 138, 118]), 2, 2, 2, 2, 4, 4);
    expect([...out]).toEqual([
      118, 123, 133, 138, // row 0: the row "above" is row 0 itself
      123, 125, 131, 133, // row 1: 3·row 0 + row 1
      133, 130, 126, 123, // row 2: 3·row 1 + row 0
      138, 133, 123, 118, // row 3: the row "below" is row 1 itself
    ]);
  });

  it('h1v2: (3·near + far + 1 above | 2 below) / 4', () => {
    // Rows: 3·0 + 0 (above = itself), 3·0 + 100 (below), 3·100 + 0 (above), 3·100 + 100 (below = itself).
    expect([...upsampleChroma(new Uint8Array([0, 100]), 1, 2, 1, 2, 1, 4)]).toEqual([(0 + 1) >> 2, (100 + 2) >> 2, (300 + 1) >> 2, (400 + 2) >> 2]);
  });

  it('YCbCr → RGB in libjpeg fixed point (FIX(x) = round(x·2¹⁶), arithmetic shifts)', () => {
    // Y 100 everywhere, Cr 128, Cb stored as 118 and 138 (h2v1) → Cb 118, 123, 133, 138.
    const ycc = new Uint8Array([100, 118, 128, 100, 118, 128, 100, 138, 128, 100, 138, 128]);
    expect([...convertYcc(ycc, 4, 1, 2, 1)]).toEqual([100, 103, 82, 255, 100, 102, 91, 255, 100, 98, 109, 255, 100, 97, 118, 255]);
    // Cr 228: R = 100 + ⌊(91881·100 + 2¹⁵) / 2¹⁶⌋ = 240, G = 100 + ⌊(2¹⁵ − 46802·100) / 2¹⁶⌋ = 29.
    expect([...convertYcc(new Uint8Array([100, 128, 228]), 1, 1, 1, 1)]).toEqual([240, 29, 100, 255]);
  });

  it('reads sampling factors from the frame header', () => {
    // SOI, APP0 (length 4), SOF0 with 3 components: Y 2×2, Cb 1×1, Cr 1×1.
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 0, 16, 0, 16, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    const layout = jpegLayout(bytes);
    expect(layout).toEqual({ width: 16, height: 16, components: [{ h: 2, v: 2 }, { h: 1, v: 1 }, { h: 1, v: 1 }], adobe: false });
    expect(isPlainYcc(layout)).toBe(true);
    expect(isPlainYcc({ width: 1, height: 1, components: [{ h: 1, v: 1 }], adobe: false })).toBe(false);
    expect(isPlainYcc({ width: 1, height: 1, components: [{ h: 2, v: 2 }, { h: 1, v: 1 }, { h: 1, v: 1 }], adobe: true })).toBe(false);
    expect(jpegLayout(new Uint8Array([0xff, 0xd8, 0x00]))).toBeNull();
  });
});
