/**
 * Fashion-MNIST as Debian's `dataset-fashion-mnist` ships it (gzipped IDX files), read directly:
 * what train.ts trains and evaluates the tiny ViT on, and what ../quantize/eval-embedded.ts scores
 * it with.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { PixelImage } from '@tfkit/finetune';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** An IDX file (gzipped): magic 0x0000 08 <rank>, big-endian dimensions, then unsigned bytes. */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const bytes = zlib.gunzipSync(fs.readFileSync(file));
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file`);
  const rank = bytes[3] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const data = bytes.subarray(4 + 4 * rank);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${file}: ${data.length} bytes for dimensions ${dims.join('×')}`);
  return { dims, data };
}

export interface Item { image: PixelImage; label: number; index: number }

/** The `train` (60,000) or `t10k` (10,000, the test set) images of `dir`, with labels and indices. */
export function loadSplit(dir: string, prefix: 'train' | 't10k'): Item[] {
  const images = readIdx(path.join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) throw new Error(`${prefix}: ${n} images but ${labels.dims[0]} labels`);
  return Array.from({ length: n }, (_, i) => ({
    image: { width: w, height: h, channels: 1 as const, data: images.data.subarray(i * h * w, (i + 1) * h * w) },
    label: labels.data[i] as number,
    index: i,
  }));
}
