import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it, vi } from 'vitest';
import { decodeImage, imageFormat, ImageDecodeError, loadImageDecoder } from './decode-image.js';

/** CRC-32 of PNG chunks (type + data), to splice a chunk into an encoded file. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Inserts a chunk right after IHDR (8-byte signature + 25-byte IHDR chunk). */
function withChunk(png: Uint8Array, type: string, data: number[]): Uint8Array {
  const body = new Uint8Array([...type].map((ch) => ch.charCodeAt(0)).concat(data));
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return new Uint8Array([...png.subarray(0, 33), ...chunk, ...png.subarray(33)]);
}

const rgba = (...px: number[][]) => new Uint8Array(px.flat());

describe('decodeImage — PNG', () => {
  it('RGBA and RGB 8-bit: every pixel exactly, alpha 255 where the file has none', async () => {
    const pixels = [[255, 0, 0, 255], [0, 255, 0, 128], [0, 0, 255, 0], [10, 20, 30, 40], [250, 251, 252, 253], [1, 2, 3, 4]];
    const file = encodePng({ width: 3, height: 2, data: rgba(...pixels), channels: 4, depth: 8 });
    expect(imageFormat(file)).toBe('png');
    const img = await decodeImage(file);
    expect([img.width, img.height, img.channels]).toEqual([3, 2, 4]);
    expect([...img.data]).toEqual(pixels.flat());

    const rgb = encodePng({ width: 2, height: 1, data: new Uint8Array([9, 8, 7, 200, 100, 50]), channels: 3, depth: 8 });
    expect([...(await decodeImage(rgb)).data]).toEqual([9, 8, 7, 255, 200, 100, 50, 255]);
  });

  it('gray (1, 4, 16 bits) and gray+alpha become RGBA as PIL converts them', async () => {
    // 1-bit: 0/1 → 0/255 (rows packed into bytes: 1,0,1 → 0b10100000).
    const oneBit = encodePng({ width: 3, height: 1, data: new Uint8Array([0b10100000]), channels: 1, depth: 1 });
    expect([...(await decodeImage(oneBit)).data]).toEqual([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
    // 4-bit: v → 17·v.
    const fourBit = encodePng({ width: 2, height: 1, data: new Uint8Array([0x3f]), channels: 1, depth: 4 });
    expect([...(await decodeImage(fourBit)).data]).toEqual([51, 51, 51, 255, 255, 255, 255, 255]);
    // 16-bit: the high byte.
    const sixteen = encodePng({ width: 2, height: 1, data: new Uint16Array([0x1234, 0xff01]), channels: 1, depth: 16 });
    expect([...(await decodeImage(sixteen)).data]).toEqual([0x12, 0x12, 0x12, 255, 0xff, 0xff, 0xff, 255]);
    const grayAlpha = encodePng({ width: 1, height: 1, data: new Uint8Array([77, 99]), channels: 2, depth: 8 });
    expect([...(await decodeImage(grayAlpha)).data]).toEqual([77, 77, 77, 99]);
  });

  it('palette images (with alpha) and tRNS colour keys', async () => {
    // Translucent entries first: fast-png's encoder writes only the alphas below 255 into tRNS,
    // which the format reads by position.
    const palette = [[0, 0, 255, 128], [7, 7, 7, 0], [255, 0, 0, 255]];
    // 2-bit indices 1, 2, 0 → 0b01_10_00_00.
    const indexed = encodePng({ width: 3, height: 1, data: new Uint8Array([0b01100000]), channels: 1, depth: 2, palette });
    expect([...(await decodeImage(indexed)).data]).toEqual([7, 7, 7, 0, 255, 0, 0, 255, 0, 0, 255, 128]);
    // An RGB file whose tRNS key is (1, 2, 3): that colour is transparent, others opaque.
    const rgb = encodePng({ width: 2, height: 2, data: new Uint8Array([1, 2, 3, 1, 2, 4, 3, 2, 1, 1, 2, 3]), channels: 3, depth: 8 });
    const keyed = withChunk(rgb, 'tRNS', [0, 1, 0, 2, 0, 3]);
    expect([...(await decodeImage(keyed)).data]).toEqual([1, 2, 3, 0, 1, 2, 4, 255, 3, 2, 1, 255, 1, 2, 3, 0]);
  });

  it('accepts ArrayBuffers and Node Buffers; decodes synchronously once loaded', async () => {
    const file = encodePng({ width: 1, height: 1, data: new Uint8Array([5, 6, 7, 8]), channels: 4, depth: 8 });
    const copy = file.slice().buffer;
    expect([...(await decodeImage(copy)).data]).toEqual([5, 6, 7, 8]);
    // A Buffer that is a view into a larger pool, at a non-zero offset.
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(file)]).subarray(3);
    const decoder = await loadImageDecoder();
    expect([...decoder.decode(pooled).data]).toEqual([5, 6, 7, 8]);
  });
});

describe('decodeImage — JPEG', () => {
  it('decodes flat 8×8 blocks to their colours (within JPEG rounding)', async () => {
    // 16×16, one colour per 8×8 block: a block's DCT is its DC term only, so quality 100 keeps it.
    const colours = [[200, 30, 40], [20, 180, 60], [40, 50, 220], [128, 128, 128]];
    const data = new Uint8Array(16 * 16 * 4);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const c = colours[(y >> 3) * 2 + (x >> 3)] as number[];
        data.set([...c, 255], (y * 16 + x) * 4);
      }
    }
    const file = new Uint8Array(encodeJpeg({ width: 16, height: 16, data }, 100).data);
    expect(imageFormat(file)).toBe('jpeg');
    const img = await decodeImage(file);
    expect([img.width, img.height, img.data.length]).toEqual([16, 16, 16 * 16 * 4]);
    let worst = 0;
    for (let i = 0; i < 16 * 16; i++) {
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((img.data[i * 4 + c] as number) - (data[i * 4 + c] as number)));
      expect(img.data[i * 4 + 3]).toBe(255);
    }
    expect(worst).toBeLessThanOrEqual(2);
  });
});

describe('decodeImage — errors', () => {
  it('names unsupported formats, corrupt data and oversized images', async () => {
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    await expect(decodeImage(gif, { where: 'cat.gif' })).rejects.toThrow(/cat\.gif: GIF images are not supported; convert it to PNG or JPEG/);
    await expect(decodeImage(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a PNG or JPEG file \(3 bytes starting 01 02 03\)/);
    const png = encodePng({ width: 4, height: 4, data: new Uint8Array(64).fill(9), channels: 4, depth: 8 });
    await expect(decodeImage(png.subarray(0, png.length - 20))).rejects.toThrow(ImageDecodeError);
    await expect(decodeImage(png, { maxPixels: 15 })).rejects.toThrow(/4×4 pixels, more than maxPixels \(15\)/);
    const jpeg = new Uint8Array(encodeJpeg({ width: 8, height: 8, data: new Uint8Array(256).fill(255) }, 90).data);
    await expect(decodeImage(jpeg, { maxPixels: 63 })).rejects.toThrow(/8×8 pixels, more than maxPixels \(63\)/);
    // A small file whose frame header claims 10000×9000 pixels is refused before anything is allocated.
    const bomb = jpeg.slice();
    const sof = bomb.findIndex((b, i) => b === 0xff && bomb[i + 1] === 0xc0);
    new DataView(bomb.buffer).setUint16(sof + 5, 9000);
    new DataView(bomb.buffer).setUint16(sof + 7, 10000);
    await expect(decodeImage(bomb)).rejects.toThrow(new RegExp(`claims 10000×9000 pixels but has only ${bomb.length} bytes`));
    await expect(decodeImage(jpeg.subarray(0, 30))).rejects.toThrow(/JPEG data is truncated or corrupt/);
    const err = await decodeImage(gif).catch((e: unknown) => e);
    expect((err as ImageDecodeError).code).toBe('ERR_IMAGE_DECODE');
  });
});

describe('decodeImage — decoders not installed', () => {
  it('is an ImageDecoderMissingError naming the missing package and the install line; once installed, the next call decodes', async () => {
    const png = encodePng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 4]), channels: 4, depth: 8 });
    vi.resetModules();
    vi.doMock('jpeg-js', () => {
      throw new Error("Cannot find package 'jpeg-js'");
    });
    try {
      const fresh = await import('./decode-image.js');
      const err = await fresh.decodeImage(png, { where: 'cat.png' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(fresh.ImageDecoderMissingError);
      expect(err).toBeInstanceOf(fresh.ImageDecodeError);
      expect((err as InstanceType<typeof fresh.ImageDecoderMissingError>).packages).toEqual(['jpeg-js']);
      expect((err as Error).message).toMatch(/needs jpeg-js, optional peer dependencies of @tfkit\/core-tensor that are not installed .*npm install fast-png jpeg-js/);
      vi.doUnmock('jpeg-js');
      expect([...(await fresh.decodeImage(png)).data]).toEqual([1, 2, 3, 4]);
    } finally {
      vi.doUnmock('jpeg-js');
      vi.resetModules();
    }
  });
});
