/**
 * The last two steps of JPEG decoding done as libjpeg(-turbo) does them — what PIL, and so Hugging
 * Face's image processors, see: "fancy" (triangular) upsampling of subsampled chroma and its
 * fixed-point YCbCr → RGB conversion. jpeg-js repeats chroma samples instead, which moves pixels
 * at colour edges of 4:2:0 photos by up to ~100 levels; with this, jpeg-js output differs from
 * libjpeg's by its IDCT rounding only (a few levels).
 * Follows libjpeg-turbo `jdsample.c` (h2v1/h1v2/h2v2_fancy_upsample) and `jdcolor.c` (ycc_rgb_convert).
 */

export interface JpegLayout {
  width: number;
  height: number;
  /** Sampling factors of each component, in frame order. */
  components: { h: number; v: number }[];
  /** An Adobe APP14 marker is present (its transform flag decides the colour space). */
  adobe: boolean;
}

/** Reads the frame header (SOFn) and notes an Adobe marker; `null` when there is none before the scan. */
export function jpegLayout(bytes: Uint8Array): JpegLayout | null {
  let adobe = false;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    const body = i + 4;
    if (marker === 0xee && String.fromCharCode(...bytes.subarray(body, body + 5)) === 'Adobe') adobe = true;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const count = bytes[body + 5] as number;
      const components = Array.from({ length: count }, (_, c) => {
        const hv = (bytes[body + 7 + c * 3] ?? 0x11) as number;
        return { h: hv >> 4, v: hv & 15 };
      });
      const height = ((bytes[body + 1] ?? 0) << 8) | (bytes[body + 2] ?? 0);
      const width = ((bytes[body + 3] ?? 0) << 8) | (bytes[body + 4] ?? 0);
      return { width, height, components, adobe };
    }
    if (marker === 0xda) return null;
    i += 2 + length;
  }
  return null;
}

/**
 * Whether `convertYcc` applies: three components, no Adobe marker, luma at the maximum sampling
 * and both chroma components at 1×1 with the luma at 1 or 2 in each direction (4:4:4, 4:2:2,
 * 4:4:0, 4:2:0: what encoders write).
 */
export function isPlainYcc(layout: JpegLayout | null): layout is JpegLayout {
  if (!layout || layout.adobe || layout.components.length !== 3) return false;
  const [y, cb, cr] = layout.components as [{ h: number; v: number }, { h: number; v: number }, { h: number; v: number }];
  return cb.h === 1 && cb.v === 1 && cr.h === 1 && cr.v === 1 && (y.h === 1 || y.h === 2) && (y.v === 1 || y.v === 2);
}

/**
 * Full-size Y, Cb, Cr (interleaved; chroma repeated `hFactor`×`vFactor` times, as jpeg-js returns it
 * without colour transform) → RGBA, upsampling chroma and converting colour as libjpeg does.
 */
export function convertYcc(ycc: Uint8Array, width: number, height: number, hFactor: number, vFactor: number): Uint8Array {
  const cw = Math.ceil(width / hFactor);
  const ch = Math.ceil(height / vFactor);
  const out = new Uint8Array(width * height * 4);
  const planes = [1, 2].map((c) => {
    // The stored chroma samples: every hFactor-th column of every vFactor-th row.
    const small = new Uint8Array(cw * ch);
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) small[y * cw + x] = ycc[(y * vFactor * width + x * hFactor) * 3 + c] as number;
    return upsampleChroma(small, cw, ch, hFactor, vFactor, width, height);
  }) as [Uint8Array, Uint8Array];
  const [cbPlane, crPlane] = planes;
  for (let i = 0; i < width * height; i++) {
    const y = ycc[i * 3] as number;
    const cb = (cbPlane[i] as number) - 128;
    const cr = (crPlane[i] as number) - 128;
    out[i * 4] = clamp(y + ((CR_R * cr + HALF) >> 16));
    out[i * 4 + 1] = clamp(y + ((-CB_G * cb + HALF - CR_G * cr) >> 16));
    out[i * 4 + 2] = clamp(y + ((CB_B * cb + HALF) >> 16));
    out[i * 4 + 3] = 255;
  }
  return out;
}

// libjpeg's FIX(x) = round(x·2¹⁶).
const CR_R = Math.round(1.402 * 65536);
const CB_B = Math.round(1.772 * 65536);
const CR_G = Math.round(0.71414 * 65536);
const CB_G = Math.round(0.34414 * 65536);
const HALF = 1 << 15;

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** A `cw`×`ch` chroma plane → `width`×`height` with libjpeg's triangular filters (exported for tests). */
export function upsampleChroma(src: Uint8Array, cw: number, ch: number, hf: number, vf: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const fullWidth = cw * hf;
  const row = new Uint16Array(cw);
  const line = new Uint8Array(fullWidth);
  for (let y = 0; y < height; y++) {
    const r = Math.floor(y / vf);
    const at = (k: number) => src.subarray(Math.min(Math.max(k, 0), ch - 1) * cw, Math.min(Math.max(k, 0), ch - 1) * cw + cw);
    const here = at(r);
    if (vf === 1) {
      // Samples ×4 so the horizontal filter below has one form.
      for (let x = 0; x < cw; x++) row[x] = (here[x] as number) * 4;
    } else {
      // Output row 2r uses the row above, 2r + 1 the row below; the edge rows repeat.
      const other = at(y % 2 === 0 ? r - 1 : r + 1);
      for (let x = 0; x < cw; x++) row[x] = (here[x] as number) * 3 + (other[x] as number);
    }
    if (hf === 1) {
      // h1v2: (3·near + far + bias) / 4, bias 1 above and 2 below.
      const bias = vf === 1 ? 0 : y % 2 === 0 ? 1 : 2;
      for (let x = 0; x < cw; x++) line[x] = vf === 1 ? (row[x] as number) >> 2 : ((row[x] as number) + bias) >> 2;
    } else if (vf === 1) {
      // h2v1: (3·near + far + 1 or 2) / 4; the end columns are copied.
      for (let x = 0; x < cw; x++) {
        const v = (row[x] as number) >> 2;
        const left = x > 0 ? (row[x - 1] as number) >> 2 : v;
        const right = x < cw - 1 ? (row[x + 1] as number) >> 2 : v;
        line[2 * x] = x === 0 ? v : (v * 3 + left + 1) >> 2;
        line[2 * x + 1] = x === cw - 1 ? v : (v * 3 + right + 2) >> 2;
      }
    } else {
      // h2v2: on column sums (3·near row + far row), (3·this + neighbour + 8 or 7) / 16; the end
      // columns use 4·this.
      for (let x = 0; x < cw; x++) {
        const t = row[x] as number;
        line[2 * x] = x === 0 ? (t * 4 + 8) >> 4 : (t * 3 + (row[x - 1] as number) + 8) >> 4;
        line[2 * x + 1] = x === cw - 1 ? (t * 4 + 7) >> 4 : (t * 3 + (row[x + 1] as number) + 7) >> 4;
      }
    }
    out.set(line.subarray(0, width), y * width);
  }
  return out;
}
