/**
 * Fuzzing decodeImage: seeded bit flips, byte overwrites, truncations, insertions, and header
 * fields (PNG IHDR size, depth and colour type; JPEG SOF size and sampling) set to hostile values,
 * applied to valid PNG (RGBA, gray 16-bit, 2-bit palette, interlaced) and JPEG files. Every case
 * must decode or fail with a typed `ImageDecodeError`, within 10 s. Rerun one seed with TFKIT_FUZZ_SEED.
 */
import { FuzzRandom, fuzzCases } from '@tfkit/test-utils';
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { TfkitError } from '../errors.js';
import { loadImageDecoder } from './decode-image.js';

const SEED = Number(process.env['TFKIT_FUZZ_SEED'] ?? 20261207);

function pixels(n: number, seed: number): Uint8Array {
  const rng = new FuzzRandom(seed);
  return Uint8Array.from({ length: n }, () => rng.int(0, 255));
}

const FILES: Uint8Array[] = [
  encodePng({ width: 8, height: 8, data: pixels(256, 1), channels: 4, depth: 8 }),
  encodePng({ width: 7, height: 5, data: new Uint16Array(35).map((_, i) => i * 1871), channels: 1, depth: 16 }),
  encodePng({ width: 9, height: 3, data: pixels(9, 2).map((v) => v & 0xff), channels: 1, depth: 2, palette: [[0, 0, 255, 128], [7, 7, 7, 0], [255, 0, 0, 255], [1, 2, 3, 255]] }),
  encodePng({ width: 12, height: 12, data: pixels(12 * 12 * 3, 3), channels: 3, depth: 8 }, { interlace: 'Adam7' }),
  new Uint8Array(encodeJpeg({ width: 16, height: 16, data: pixels(16 * 16 * 4, 4) }, 80).data),
  new Uint8Array(encodeJpeg({ width: 33, height: 9, data: pixels(33 * 9 * 4, 5) }, 95).data),
];

const HOSTILE_U16 = [0, 1, 2, 7, 255, 256, 4095, 8192, 40000, 65535];
const HOSTILE_U32 = [0, 1, 3, 65535, 65536, 100_000, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];

function mutate(rng: FuzzRandom, file: Uint8Array): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer);
  const png = out[0] === 0x89;
  switch (rng.int(0, 7)) {
    case 0: // bit flips
      for (let k = rng.int(1, 8); k > 0; k--) {
        const at = rng.int(0, out.length - 1);
        out[at] = (out[at] as number) ^ (1 << rng.int(0, 7));
      }
      return out;
    case 1: // a random byte in the first 64 (headers)
      out[rng.int(0, Math.min(63, out.length - 1))] = rng.int(0, 255);
      return out;
    case 2: // truncation
      return out.subarray(0, rng.int(0, out.length - 1));
    case 3: {
      // random bytes inserted
      const at = rng.int(0, out.length);
      const junk = Uint8Array.from({ length: rng.int(1, 40) }, () => rng.int(0, 255));
      return new Uint8Array([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    }
    case 4: // the image size
      if (png) {
        view.setUint32(rng.pick([16, 20]), rng.pick(HOSTILE_U32));
        if (rng.chance(0.5)) view.setUint32(16, rng.pick(HOSTILE_U32));
      } else {
        const sof = out.findIndex((b, i) => b === 0xff && out[i + 1] === 0xc0);
        if (sof > 0) view.setUint16(sof + rng.pick([5, 7]), rng.pick(HOSTILE_U16));
      }
      return out;
    case 5: // PNG depth / colour type / interlace; JPEG sampling factors
      if (png) out[rng.pick([24, 25, 26, 27, 28])] = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255]);
      else {
        const sof = out.findIndex((b, i) => b === 0xff && out[i + 1] === 0xc0);
        if (sof > 0) out[sof + 11 + 3 * rng.int(0, 2)] = rng.pick([0x00, 0x11, 0x12, 0x21, 0x22, 0x44, 0x41, 0xff]);
      }
      return out;
    case 6: // a chunk / segment length
      view.setUint32(Math.min(out.length - 4, rng.pick([8, 33, 37, out.length - 16])), rng.pick(HOSTILE_U32));
      return out;
    default: // the signature
      out[rng.int(0, 3)] = rng.int(0, 255);
      return out;
  }
}

describe('decodeImage fuzz', () => {
  it('every mutated PNG/JPEG decodes or fails with ImageDecodeError, within 10 s', async () => {
    const decoder = await loadImageDecoder();
    const report = await fuzzCases({
      seed: SEED,
      cases: 3000,
      make: (rng) => mutate(rng, rng.pick(FILES)),
      run: (bytes) => {
        const img = decoder.decode(bytes, { where: 'fuzz' });
        if (img.data.length !== img.width * img.height * 4) throw new Error(`decoded ${img.data.length} bytes for ${img.width}×${img.height}`);
      },
      isTyped: (e) => e instanceof TfkitError && (e as TfkitError).code === 'ERR_IMAGE_DECODE',
      describe: (bytes) => `${bytes.length} bytes: ${[...bytes.subarray(0, 48)].map((b) => b.toString(16).padStart(2, '0')).join('')}…`,
    });
    console.log(`decodeImage fuzz (seed ${SEED}): ${report.passed} decoded, typed errors ${JSON.stringify(report.typed)}`);
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(100);
  }, 600_000);
});
