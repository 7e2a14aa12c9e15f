/** `tfkit classify-image`: labels of PNG or JPEG images with an image classification model. */
import fsp from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { fileOption, intOption } from '../inputs.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult, score } from './common.js';

const usage = `Usage: tfkit classify-image [--model <source>] [options] <image.png|jpg>...

Classifies each image (PNG or JPEG) with an image classification model; labels come from the
model's id2label, scores from softmax. Images are resized and normalised as the model's
preprocessor_config.json says.

Options:
${modelOptionsUsage('default: the embedded tiny model trained by tfkit on Fashion-MNIST: 28×28 grayscale clothing, 10 classes')}
  --top-k <k>       Labels to print per image, best first (default 1)
  --all             Print every label
`;

export const classifyImageCommand: Command = {
  name: ['classify-image'],
  summary: 'Label PNG/JPEG images with an image classification model',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...MODEL_OPTIONS, 'top-k': { type: 'string' }, all: { type: 'boolean', default: false } },
      strict: true,
    });
    if (!positionals.length) throw new UsageError('give at least one image file (PNG or JPEG)');
    const topK = intOption('top-k', values['top-k'], 1);
    if (values.all && topK !== undefined) throw new UsageError('--all and --top-k exclude each other');
    const files = positionals.map((f) => fileOption('image', f, ctx.io.cwd));
    const { decodeImage } = await import('@tfkit/core-tensor');
    // Decode first: an unreadable image fails before the model loads.
    const images = [];
    for (const [i, file] of files.entries()) images.push(await decodeImage(await fsp.readFile(file), { where: positionals[i] }));
    const pipe = await openPipeline('image-classification', values, ctx);
    try {
      const results = (await pipe.call(images, { topK: values.all ? null : (topK ?? 1) })) as { label: string; score: number }[][];
      const byFile = positionals.map((file, i) => ({ file, labels: results[i] ?? [] }));
      printResult(ctx, values.json, byFile, (rows) =>
        rows.flatMap(({ file, labels }) => (rows.length > 1 || labels.length > 1 ? [`${file}:`, ...labels.map((l) => `  ${score(l.score)}  ${l.label}`)] : labels.map((l) => `${score(l.score)}  ${l.label}\t${file}`))),
      );
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
