/** Small files tests (and the ViT training script's checked images) write: the BART fixture's word-level tokenizer and PNG images. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * Writes BART's `<s> … </s>` word-level tokenizer over the BART fixture's 1000 ids (`<s>` 0,
 * `<pad>` 1, `</s>` 2, `<unk>` 3, then `w4` … `w999`) as tokenizer.json + tokenizer_config.json.
 */
export function writeBartWordTokenizer(dir: string, options: { modelMaxLength?: number } = {}): void {
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const vocab = Object.fromEntries([...specials.map((t, i) => [t, i]), ...Array.from({ length: 996 }, (_, i) => [`w${i + 4}`, i + 4])]);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0',
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: false, add_prefix_space: false },
    decoder: null,
  }));
  const config = { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', model_max_length: options.modelMaxLength ?? 64 };
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
}

/** A PNG (8-bit RGB, no interlace) of `width × height` pixels whose colours come from `pixel(x, y)`. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => readonly [number, number, number]): Buffer {
  const rows = Buffer.alloc(height * (1 + width * 3)); // each row: filter byte 0, then RGB triples
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rows.set(pixel(x, y), y * (1 + width * 3) + 1 + x * 3);
  return pngFile(width, height, 2, rows);
}

/** An 8-bit grayscale PNG (colour type 0, no interlace) of row-major `gray` values, as Fashion-MNIST's pixels are. */
export function encodeGrayPng(width: number, height: number, gray: ArrayLike<number>): Buffer {
  const rows = Buffer.alloc(height * (1 + width)); // each row: filter byte 0, then one byte a pixel
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rows[y * (1 + width) + 1 + x] = gray[y * width + x] as number;
  return pngFile(width, height, 0, rows);
}

/** Signature, IHDR (bit depth 8, `colourType`, deflate, filter 0, no interlace), one IDAT of the filtered `rows`, IEND. */
function pngFile(width: number, height: number, colourType: 0 | 2, rows: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colourType, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}
