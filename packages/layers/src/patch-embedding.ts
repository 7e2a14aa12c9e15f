/**
 * Image patches → token embeddings (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words"),
 * following Hugging Face's ViTPatchEmbeddings / ViTEmbeddings names and position interpolation.
 *
 * The patch projection is a Conv2d with stride = kernel = patch size, which is the same as cutting
 * the image into patches and multiplying by a matrix. It is written that way (reshape + transpose +
 * a 2-D matMul) because tfjs-backend-wasm has no Conv2DBackpropFilter kernel, and the matMul is
 * the fast path everywhere. The weight is held as `[C·p·p, hidden]` and stored as Conv2d's
 * `[hidden, C, p, p]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, matMul2d, type Random } from '@tfkit/core-tensor';
import { defaultRng, normal } from './init.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module, Parameter, type LayoutConversion } from './module.js';

/** Conv2d weight `[out, C, p, p]` ↔ held `[C·p·p, out]`. */
function conv2dLayout(channels: number, patch: number): LayoutConversion {
  return {
    checkpointShape: (shape) => [shape[1] as number, channels, patch, patch],
    fromCheckpoint: (t) => tf.transpose(tf.reshape(t, [t.shape[0] as number, -1])),
    toCheckpoint: (t) => tf.reshape(tf.transpose(t), [t.shape[1] as number, channels, patch, patch]),
  };
}

export interface PatchEmbeddingOptions {
  imageSize: number | [number, number];
  patchSize: number;
  numChannels?: number;
  hiddenSize: number;
  /**
   * Initialise the projection N(0, std²) with a zero bias (Hugging Face ViT's init with
   * `initializer_range`) instead of PyTorch Conv2d's default uniform.
   */
  initStd?: number;
  rng?: Random;
}

/** `pixel_values` `[b, C, H, W]` → `[b, (H/p)·(W/p), hidden]`, patches in row-major order. */
export class PatchEmbedding extends Module {
  readonly imageSize: [number, number];
  readonly patchSize: number;
  readonly numChannels: number;
  readonly numPatches: number;
  projection: Linear;

  constructor(o: PatchEmbeddingOptions) {
    super();
    this.imageSize = typeof o.imageSize === 'number' ? [o.imageSize, o.imageSize] : o.imageSize;
    this.patchSize = o.patchSize;
    this.numChannels = o.numChannels ?? 3;
    this.numPatches = Math.floor(this.imageSize[0] / o.patchSize) * Math.floor(this.imageSize[1] / o.patchSize);
    this.projection = new Linear(this.numChannels * o.patchSize * o.patchSize, o.hiddenSize, {
      checkpointLayout: conv2dLayout(this.numChannels, o.patchSize),
      initStd: o.initStd,
      rng: o.rng,
    });
  }

  forward(pixelValues: tf.Tensor): tf.Tensor {
    const [b, c, h, w] = pixelValues.shape as [number, number, number, number];
    const p = this.patchSize;
    if (pixelValues.rank !== 4 || c !== this.numChannels) {
      throw new ShapeError(`PatchEmbedding: expected pixel values [batch, ${this.numChannels}, height, width], got [${pixelValues.shape}]`);
    }
    if (h % p !== 0 || w % p !== 0) throw new ShapeError(`PatchEmbedding: image ${h}×${w} is not a multiple of the patch size ${p}`);
    const gh = h / p;
    const gw = w / p;
    return tf.tidy(() => {
      // (b, C, gh, p, gw, p) → (b, gh, gw, C, p, p): each row is one patch flattened like the conv kernel.
      const patches = tf.transpose(tf.reshape(pixelValues, [b, c, gh, p, gw, p]), [0, 2, 4, 1, 3, 5]);
      const y = this.projection.forward(tf.reshape(patches, [b * gh * gw, c * p * p]));
      return tf.reshape(y, [b, gh * gw, this.projection.outFeatures]);
    });
  }
}

/** PyTorch's bicubic kernel (A = −0.75). */
function cubic(x: number): number {
  const a = -0.75;
  const ax = Math.abs(x);
  if (ax <= 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
  return 0;
}

/**
 * The `[outSize, inSize]` matrix of 1-D bicubic resampling as PyTorch's
 * `interpolate(mode='bicubic', align_corners=False)` does it: source = (i + 0.5) / scale − 0.5,
 * border samples clamped. `scale` defaults to outSize / inSize.
 */
export function bicubicMatrix(inSize: number, outSize: number, scale = outSize / inSize): tf.Tensor2D {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const src = (i + 0.5) / scale - 0.5;
    const x0 = Math.floor(src);
    const t = src - x0;
    for (let k = -1; k <= 2; k++) {
      const j = Math.min(Math.max(x0 + k, 0), inSize - 1);
      m[i * inSize + j] = (m[i * inSize + j] as number) + cubic(k - t);
    }
  }
  return tf.tensor2d(m, [outSize, inSize]);
}

/**
 * Resizes a grid of position vectors `[gh·gw, dim]` (row-major) to `[oh·ow, dim]` by bicubic
 * interpolation, as two 2-D matMuls (differentiable on every backend). `scale` overrides
 * the per-axis scale factors (Hugging Face ViT passes (oh + 0.1) / gh).
 */
export function interpolatePositionEmbeddings(grid: tf.Tensor, from: [number, number], to: [number, number], scale?: [number, number]): tf.Tensor {
  const [gh, gw] = from;
  const [oh, ow] = to;
  const dim = grid.shape[1] as number;
  if (grid.rank !== 2 || grid.shape[0] !== gh * gw) throw new ShapeError(`interpolatePositionEmbeddings: expected [${gh * gw}, dim], got [${grid.shape}]`);
  return tf.tidy(() => {
    const rows = matMul2d(bicubicMatrix(gh, oh, scale?.[0]), tf.reshape(grid, [gh, gw * dim]) as tf.Tensor2D); // (oh, gw·dim)
    const cols = tf.reshape(tf.transpose(tf.reshape(rows, [oh, gw, dim]), [1, 0, 2]), [gw, oh * dim]);
    const out = matMul2d(bicubicMatrix(gw, ow, scale?.[1]), cols as tf.Tensor2D); // (ow, oh·dim)
    return tf.reshape(tf.transpose(tf.reshape(out, [ow, oh, dim]), [1, 0, 2]), [oh * ow, dim]);
  });
}

export interface ImageEmbeddingsOptions extends PatchEmbeddingOptions {
  /** Dropout on the embeddings, in training only (default 0). */
  dropout?: number;
  /** Std of the `cls_token` / `position_embeddings` init (default 0.02) and, when given, of the projection. */
  initStd?: number;
}

/**
 * [CLS] + patch embeddings + position embeddings (ViTEmbeddings): `cls_token` `[1, 1, hidden]`,
 * `patch_embeddings.projection`, `position_embeddings` `[1, numPatches + 1, hidden]`.
 */
export class ImageEmbeddings extends Module {
  cls_token: Parameter;
  patch_embeddings: PatchEmbedding;
  position_embeddings: Parameter;
  dropout: Dropout;

  constructor(o: ImageEmbeddingsOptions) {
    super();
    const rng = defaultRng(o.rng);
    const std = o.initStd ?? 0.02;
    // Hugging Face's attribute order; like PyTorch, namedParameters lists own parameters before children's.
    this.cls_token = Parameter.adopt(tf.tidy(() => normal([1, 1, o.hiddenSize], std, rng)));
    this.patch_embeddings = new PatchEmbedding({ ...o, rng });
    const n = this.patch_embeddings.numPatches;
    this.position_embeddings = Parameter.adopt(tf.tidy(() => normal([1, n + 1, o.hiddenSize], std, rng)));
    this.dropout = new Dropout(o.dropout ?? 0);
  }

  /**
   * `pixelValues` `[b, C, H, W]` → `[b, 1 + patches, hidden]`. Images of another size than the
   * configured one need `interpolatePosEncoding`, which resizes the position grid bicubically.
   */
  forward(pixelValues: tf.Tensor, options: { interpolatePosEncoding?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => {
      const patches = this.patch_embeddings.forward(pixelValues); // (b, n, hidden)
      const [b, n, hidden] = patches.shape as [number, number, number];
      const cls = tf.tile(this.cls_token.value, [b, 1, 1]);
      const x = tf.concat([cls, patches], 1);
      return this.dropout.forward(tf.add(x, this.positions(pixelValues, n, hidden, options.interpolatePosEncoding ?? false)));
    });
  }

  private positions(pixelValues: tf.Tensor, n: number, hidden: number, interpolate: boolean): tf.Tensor {
    const table = this.position_embeddings.value;
    const stored = (table.shape[1] as number) - 1;
    const [h, w] = pixelValues.shape.slice(2) as [number, number];
    if (n === stored && h === w) return table;
    if (!interpolate) {
      const [ih, iw] = this.patch_embeddings.imageSize;
      throw new ShapeError(`ImageEmbeddings: image ${h}×${w} differs from the configured ${ih}×${iw}; pass interpolatePosEncoding: true`);
    }
    const p = this.patch_embeddings.patchSize;
    const side = Math.round(Math.sqrt(stored));
    const [oh, ow] = [h / p, w / p];
    const grid = tf.reshape(tf.slice(table, [0, 1, 0], [1, stored, hidden]), [stored, hidden]);
    // Hugging Face ViT adds 0.1 to the target grid size to dodge floating-point rounding in the scale.
    const resized = interpolatePositionEmbeddings(grid, [side, side], [oh, ow], [(oh + 0.1) / side, (ow + 0.1) / side]);
    return tf.concat([tf.slice(table, [0, 0, 0], [1, 1, hidden]), tf.reshape(resized, [1, oh * ow, hidden])], 1);
  }
}
