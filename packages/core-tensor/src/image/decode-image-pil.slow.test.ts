// decodeImage against PIL (libjpeg-turbo, zlib), which Hugging Face's image processors read images
// with: JPEGs written by PIL in every chroma subsampling, odd sizes, progressive and gray, and a PNG.
// Needs Debian's python3-pil, which .ci/run installs; outside CI, without it, skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from './decode-image.js';

const PYTHON = '/usr/bin/python3';
const hasPil = spawnSync(PYTHON, ['-c', 'import PIL, numpy'], { stdio: 'ignore' }).status === 0;
const run = hasPil || process.env['CI'] ? it : it.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-decode-pil-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Gradients + noise + saturated squares (sharp colour edges, where chroma upsampling matters).
// Each file is decoded back by PIL into <name>.rgb (raw 8-bit RGB).
const SCRIPT = `
import sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(0)
def make(h, w):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 2) % 256, (y * 2.5) % 256, (x + y) % 256], -1).astype(np.float64)
    img = np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
    img[20:50, 30:60] = [255, 0, 0]
    img[60:90, 80:120] = [0, 0, 255]
    return img
cases = {
    'q90-420': (96, 128, dict(quality=90, subsampling=2)),
    'q95-444': (96, 128, dict(quality=95, subsampling=0)),
    'q85-422': (96, 128, dict(quality=85, subsampling=1)),
    'q90-420-odd': (97, 61, dict(quality=90, subsampling=2)),
    'q80-420-progressive': (96, 128, dict(quality=80, subsampling=2, progressive=True)),
    'q75-422-odd': (33, 95, dict(quality=75, subsampling=1)),
}
for name, (h, w, kw) in cases.items():
    Image.fromarray(make(h, w)).save(f'{out}/{name}.jpg', **kw)
Image.fromarray(make(40, 50)[..., 0], 'L').save(f'{out}/gray.jpg', quality=90)
Image.fromarray(make(40, 50)).save(f'{out}/rgb.png')
for name in list(cases) + ['gray']:
    open(f'{out}/{name}.rgb', 'wb').write(np.asarray(Image.open(f'{out}/{name}.jpg').convert('RGB')).tobytes())
open(f'{out}/rgb.rgb', 'wb').write(np.asarray(Image.open(f'{out}/rgb.png').convert('RGB')).tobytes())
`;

describe('decodeImage against PIL', () => {
  run('PNG exactly; JPEG within IDCT rounding (chroma upsampling and colour conversion as libjpeg)', async () => {
    const out = spawnSync(PYTHON, ['-c', SCRIPT, tmp], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`PIL script failed (${out.status}): ${out.stderr}`);
    const report: string[] = [];
    for (const name of ['q90-420', 'q95-444', 'q85-422', 'q90-420-odd', 'q80-420-progressive', 'q75-422-odd', 'gray', 'rgb']) {
      const file = path.join(tmp, `${name}.${name === 'rgb' ? 'png' : 'jpg'}`);
      const ref = fs.readFileSync(path.join(tmp, `${name}.rgb`));
      const img = await decodeImage(fs.readFileSync(file), { where: name });
      expect(img.width * img.height * 3, name).toBe(ref.length);
      let max = 0;
      let sum = 0;
      for (let i = 0; i < img.width * img.height; i++) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs((img.data[i * 4 + c] as number) - (ref[i * 3 + c] as number));
          max = Math.max(max, d);
          sum += d;
        }
      }
      const mean = sum / ref.length;
      report.push(`${name} ${img.width}×${img.height}: max ${max}, mean ${mean.toFixed(3)}`);
      if (name === 'rgb') expect(max, name).toBe(0);
      else {
        // Measured: max 3 (gray 1), mean 0.13–0.15; repeating chroma samples instead gave max 106, mean 3.9 on q90-420.
        expect(max, name).toBeLessThanOrEqual(4);
        expect(mean, name).toBeLessThan(0.3);
      }
    }
    console.log(`decodeImage vs PIL (levels of 255):\n  ${report.join('\n  ')}`);
  });
});
