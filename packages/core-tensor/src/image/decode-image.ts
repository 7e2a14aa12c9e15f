/**
 * PNG and JPEG bytes → 8-bit RGBA pixels, for image pipelines, image collators and the CLI. The
 * decoders are pure JavaScript (fast-png, jpeg-js), run in Node and in browsers, and are imported
 * on first use only: code that never decodes an image never loads them. They are optional peer
 * dependencies (1.1 MiB installed with fflate): an image model package depends on them, so a text
 * model's install does not carry them; without them decoding is an `ImageDecoderMissingError`.
 */
import type * as FastPngModule from 'fast-png';
import type * as JpegJsModule from 'jpeg-js';
import { TfkitError } from '../errors.js';
import { convertYcc, isPlainYcc, jpegLayout } from './jpeg-color.js';

/** Bytes that cannot be decoded: not PNG or JPEG, truncated or corrupt, or too many pixels. */
export class ImageDecodeError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_IMAGE_DECODE', message, options);
    this.name = 'ImageDecodeError';
  }
}

/** A decoded image: `width·height·4` bytes, row by row, RGBA (a canvas `ImageData` has the same layout). */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
  channels: 4;
}

export type ImageFormat = 'png' | 'jpeg';

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (default 100 million), before allocating them. */
  maxPixels?: number;
  /** Names the image in error messages (a file name, `example 3`). */
  where?: string;
}

/** Decodes synchronously once `loadImageDecoder()` has loaded the decoders. */
export interface ImageDecoder {
  decode(bytes: Uint8Array | ArrayBuffer, options?: DecodeImageOptions): DecodedImage;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) => magic.every((b, i) => bytes[at + i] === b);

/** The format of encoded image bytes from their first bytes, or `null` when neither PNG nor JPEG. */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  return null;
}

/** A name for formats we recognise but do not decode, for the error message. */
function otherFormat(bytes: Uint8Array): string | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (ascii(0, 4) === 'GIF8') return 'GIF';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (ascii(0, 2) === 'BM') return 'BMP';
  if (ascii(4, 8) === 'ftyp') return 'HEIF/AVIF';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  return null;
}

type FastPng = typeof FastPngModule;
type DecodedPng = ReturnType<FastPng['decode']>;
type JpegJs = typeof JpegJsModule;

/** The decoder packages: optional peer dependencies (an image model package depends on them). */
export const IMAGE_DECODER_PACKAGES = ['fast-png', 'jpeg-js'] as const;

/** Decoding needs packages that are not installed: names them and the command that installs them. */
export class ImageDecoderMissingError extends ImageDecodeError {
  /** The missing packages, e.g. `['fast-png', 'jpeg-js']`. */
  readonly packages: string[];
  constructor(packages: string[], cause: unknown) {
    super(
      `decoding PNG and JPEG images needs ${packages.join(' and ')}, optional peer dependencies of @tfkit/core-tensor that are not installed ` +
        `(${(cause as Error)?.message ?? String(cause)}). Install ${packages.length > 1 ? 'them' : 'it'}: npm install ${IMAGE_DECODER_PACKAGES.join(' ')} ` +
        '(image model packages depend on them), or pass decoded pixels ({ data, width, height }).',
      { cause },
    );
    this.name = 'ImageDecoderMissingError';
    this.packages = packages;
  }
}

let loading: Promise<ImageDecoder> | undefined;

/**
 * Imports the decoders. Each `import()` sits in its own `try`, so that a browser bundler leaves out
 * a decoder that is not installed (esbuild keeps it as a runtime import) instead of failing the build
 * of a page that never decodes an image.
 */
async function importDecoders(): Promise<[FastPng, JpegJs]> {
  const missing: string[] = [];
  let firstCause: unknown;
  let png: FastPng | undefined;
  let jpeg: JpegJs | undefined;
  try {
    png = await import('fast-png');
  } catch (cause) {
    missing.push('fast-png');
    firstCause ??= cause;
  }
  try {
    const mod = await import('jpeg-js');
    jpeg = (mod as JpegJs & { default?: JpegJs }).default ?? mod;
  } catch (cause) {
    missing.push('jpeg-js');
    firstCause ??= cause;
  }
  if (!png || !jpeg) throw new ImageDecoderMissingError(missing, firstCause);
  return [png, jpeg];
}

/** Loads the PNG and JPEG decoders (once) and returns a synchronous decoder. */
export function loadImageDecoder(): Promise<ImageDecoder> {
  loading ??= importDecoders().then(
    ([png, jpeg]): ImageDecoder => ({ decode: (bytes, options) => decodeWith(png, jpeg, bytes, options) }),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** Decodes PNG or JPEG bytes into RGBA pixels (see `DecodedImage`). */
export async function decodeImage(bytes: Uint8Array | ArrayBuffer, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  return (await loadImageDecoder()).decode(bytes, options);
}

function decodeWith(png: FastPng, jpeg: JpegJs, input: Uint8Array | ArrayBuffer, options: DecodeImageOptions = {}): DecodedImage {
  const where = options.where ?? 'image';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const format = imageFormat(bytes);
  if (format === null) {
    const other = otherFormat(bytes);
    throw new ImageDecodeError(
      `${where}: ${other ? `${other} images are not supported` : `not a PNG or JPEG file (${bytes.length} bytes starting ${hex(bytes.subarray(0, 8))})`}; ` +
        'convert it to PNG or JPEG, or pass decoded pixels ({ data, width, height }).',
    );
  }
  if (format === 'png') {
    // IHDR is the first chunk: width and height at bytes 16 and 20, checked before anything is allocated.
    if (bytes.length >= 24) checkSize(new DataView(bytes.buffer, bytes.byteOffset).getUint32(16), new DataView(bytes.buffer, bytes.byteOffset).getUint32(20), maxPixels, where);
    let decoded: DecodedPng;
    try {
      decoded = png.decode(bytes);
    } catch (cause) {
      throw new ImageDecodeError(`${where}: the PNG data is truncated or corrupt (${(cause as Error).message})`, { cause });
    }
    return pngToRgba(decoded, where);
  }
  // Colour JPEGs as encoders write them: jpeg-js decodes the samples, chroma upsampling and colour
  // conversion follow libjpeg (what PIL gives); other layouts (CMYK, Adobe RGB) are jpeg-js's.
  const layout = jpegLayout(bytes);
  if (layout) {
    checkSize(layout.width, layout.height, maxPixels, where);
    // Every 8×8 block of the first component costs at least one bit (its DC code): a small file
    // claiming a large image is truncated or hostile, and would otherwise allocate the full size.
    const blocks = Math.ceil(layout.width / 8) * Math.ceil(layout.height / 8);
    if (blocks > bytes.length * 8) {
      throw new ImageDecodeError(`${where}: the JPEG claims ${layout.width}×${layout.height} pixels but has only ${bytes.length} bytes, too few for that many; the file is truncated or corrupt`);
    }
  }
  const ycc = isPlainYcc(layout);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: !ycc, colorTransform: ycc ? false : undefined, maxResolutionInMP: maxPixels / 1e6 });
  } catch (cause) {
    const message = String((cause as Error)?.message ?? cause);
    if (/maxResolutionInMP/.test(message)) throw new ImageDecodeError(`${where}: the JPEG has more than ${maxPixels} pixels; raise maxPixels to decode it`, { cause });
    throw new ImageDecodeError(`${where}: the JPEG data is truncated or corrupt (${message})`, { cause });
  }
  checkSize(decoded.width, decoded.height, maxPixels, where);
  const { width, height } = decoded;
  const data = ycc ? convertYcc(decoded.data, width, height, layout.components[0]!.h, layout.components[0]!.v) : decoded.data;
  return { width, height, data, channels: 4 };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function checkSize(width: number, height: number, maxPixels: number, where: string): void {
  if (!(width > 0 && height > 0)) throw new ImageDecodeError(`${where}: the image is ${width}×${height} pixels; it has no pixels`);
  if (width * height > maxPixels) throw new ImageDecodeError(`${where}: the image is ${width}×${height} pixels, more than maxPixels (${maxPixels}); raise maxPixels to decode it`);
}

/**
 * Any PNG (gray, gray+alpha, RGB, RGBA, palette; 1 to 16 bits) as 8-bit RGBA, as PIL's
 * `convert('RGBA')` gives it: 16-bit samples keep their high byte, 1/2/4-bit gray is scaled to
 * 0…255, a tRNS colour key or palette alpha becomes the alpha channel.
 */
function pngToRgba(png: DecodedPng, where: string): DecodedImage {
  const { width, height, depth, channels } = png;
  const pixels = width * height;
  const out = new Uint8Array(pixels * 4);
  const palette = png.palette;
  const key = png.transparency;
  if (palette) {
    const indices = unpack(png.data as Uint8Array, width, height, depth);
    for (let i = 0; i < pixels; i++) {
      const entry = palette[indices[i] as number];
      if (!entry) throw new ImageDecodeError(`${where}: the PNG uses palette entry ${indices[i]} but its palette has ${palette.length} colours`);
      const o = i * 4;
      out[o] = entry[0] ?? 0;
      out[o + 1] = entry[1] ?? 0;
      out[o + 2] = entry[2] ?? 0;
      out[o + 3] = entry[3] ?? 255;
    }
    return { width, height, data: out, channels: 4 };
  }
  // Samples as 8 bits: the high byte of 16-bit ones, sub-byte gray unpacked and scaled.
  const raw = depth < 8 ? unpack(png.data as Uint8Array, width, height, depth) : png.data;
  const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const to8 = (v: number) => (depth === 16 ? v >> 8 : depth < 8 ? Math.round(v * scale) : v);
  for (let i = 0; i < pixels; i++) {
    const at = i * channels;
    const o = i * 4;
    if (channels <= 2) {
      const g = to8(raw[at] as number);
      out[o] = out[o + 1] = out[o + 2] = g;
      out[o + 3] = channels === 2 ? to8(raw[at + 1] as number) : key && raw[at] === key[0] ? 0 : 255;
    } else {
      for (let c = 0; c < 3; c++) out[o + c] = to8(raw[at + c] as number);
      out[o + 3] = channels === 4 ? to8(raw[at + 3] as number) : key && raw[at] === key[0] && raw[at + 1] === key[1] && raw[at + 2] === key[2] ? 0 : 255;
    }
  }
  return { width, height, data: out, channels: 4 };
}

/** One-channel samples packed `depth` bits each (rows padded to whole bytes) → one value per pixel. */
function unpack(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return data;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)] as number;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}
