/**
 * Trains the embedded tiny ViT (packages/all/assets/tiny-vit-fashion) on Fashion-MNIST with tfkit's
 * Trainer on tfjs-backend-wasm, and two baselines in the same run on the same split: multinomial
 * logistic regression and a one-hidden-layer MLP on the raw pixels. Reads Debian's
 * `dataset-fashion-mnist` IDX files directly. Run from the repository root:
 *
 *   nice -n 10 node --import ./tooling/embedded/register.mjs tooling/embedded/vit-fashion/train.ts \
 *     --out packages/all/assets/tiny-vit-fashion
 *
 * Writes config.json, model.safetensors (float16), preprocessor_config.json, training_summary.json
 * and the checked test images (`--images <dir>`, PNG) — never the model card, which is written by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry, loadGradients, Random } from '@tfkit/core-tensor';
import { classificationMetrics, DataCollatorForImageClassification, Dataset, Trainer } from '@tfkit/finetune';
import { ViTForImageClassification, ViTImageProcessor } from '@tfkit/models-vit';
import { convertToFloat16 } from '../../../apps/cli/src/lm-training.js';
import { encodeGrayPng } from '../../test-utils/src/test-files.js';
import { FASHION_MNIST_DIR, LABELS, loadSplit as loadFrom, type Item } from './data.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: FASHION_MNIST_DIR },
    out: { type: 'string', default: 'packages/all/assets/tiny-vit-fashion' },
    images: { type: 'string', default: 'packages/all/assets/tiny-vit-fashion/examples' },
    epochs: { type: 'string', default: '8' },
    'train-size': { type: 'string', default: '55000' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '3e-3' },
    seed: { type: 'string', default: '0' },
  },
});
const epochs = Number(args.epochs);
const batchSize = Number(args['batch-size']);
const seed = Number(args.seed);

export { LABELS };

const loadSplit = (prefix: 'train' | 't10k'): Item[] => loadFrom(args.data, prefix);

/** Pixels as `[n, 784]` floats in 0…1 (for the baselines). */
function pixelMatrix(items: readonly Item[]): tf.Tensor2D {
  const flat = new Float32Array(items.length * 784);
  items.forEach((it, i) => { for (let j = 0; j < 784; j++) flat[i * 784 + j] = (it.image.data[j] as number) / 255; });
  return tf.tensor2d(flat, [items.length, 784]);
}

/** A baseline on raw pixels trained with Adam on mini-batches: `hidden` 0 is logistic regression. */
function trainBaseline(train: readonly Item[], evalSets: Record<string, readonly Item[]>, hidden: number, baselineEpochs: number, rng: Random): Record<string, number> {
  const init = (shape: number[], fanIn: number) => tf.variable(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', rng.int(2 ** 30)), Math.sqrt(2 / fanIn)));
  const params = hidden
    ? [init([784, hidden], 784), tf.variable(tf.zeros([hidden])), init([hidden, 10], hidden), tf.variable(tf.zeros([10]))]
    : [tf.variable(tf.zeros([784, 10])), tf.variable(tf.zeros([10]))];
  const logits = (x: tf.Tensor2D) => hidden
    ? tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, params[0]!), params[1]!)), params[2]!), params[3]!)
    : tf.add(tf.matMul(x, params[0]!), params[1]!);
  const x = pixelMatrix(train);
  const y = tf.oneHot(tf.tensor1d(train.map((t) => t.label), 'int32'), 10);
  const optimizer = tf.train.adam(hidden ? 1e-3 : 3e-3);
  const n = train.length;
  for (let epoch = 0; epoch < baselineEpochs; epoch++) {
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    for (let b = 0; b < n; b += batchSize) {
      const idx = tf.tensor1d(order.slice(b, b + batchSize), 'int32');
      tf.tidy(() => {
        const xb = tf.gather(x, idx) as tf.Tensor2D;
        const yb = tf.gather(y, idx);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, logits(xb)) as tf.Scalar, false, params);
      });
      idx.dispose();
    }
  }
  const result: Record<string, number> = {};
  for (const [name, items] of Object.entries(evalSets)) {
    const xs = pixelMatrix(items);
    const pred = tf.tidy(() => tf.argMax(logits(xs), 1).dataSync() as Int32Array);
    xs.dispose();
    result[name] = pred.reduce((c, p, i) => c + (p === items[i]!.label ? 1 : 0), 0) / items.length;
  }
  tf.dispose([x, y, ...params]);
  optimizer.dispose();
  return result;
}

async function main(): Promise<void> {
  const registry = createRegistry();
  registerAllBackends(registry);
  const backend = await useBackend(registry, 'wasm');
  console.log(`backend ${backend.backend}, ${backend.threads} thread(s)`);
  await loadGradients(); // the baselines train with tfjs's own gradients

  const all = loadSplit('train');
  const test = loadSplit('t10k');
  // The last 5,000 training images are the validation set; the test set is used once, at the end.
  const trainSize = Number(args['train-size']);
  const train = all.slice(0, Math.min(trainSize, 55000));
  const validation = all.slice(55000);
  let sum = 0;
  let sumSq = 0;
  for (const it of train) for (const v of it.image.data) { sum += v / 255; sumSq += (v / 255) ** 2; }
  const count = train.length * 784;
  const mean = Number((sum / count).toFixed(4));
  const std = Number(Math.sqrt(sumSq / count - (sum / count) ** 2).toFixed(4));
  console.log(`train ${train.length}, validation ${validation.length}, test ${test.length}; pixel mean ${mean}, std ${std}`);

  const rng = new Random(seed);
  const t0 = performance.now();
  const logistic = trainBaseline(train, { validation, test }, 0, 5, rng);
  const tLogistic = (performance.now() - t0) / 1000;
  console.log(`logistic regression: validation ${logistic['validation']}, test ${logistic['test']} (${tLogistic.toFixed(0)} s)`);
  const t1 = performance.now();
  const mlp = trainBaseline(train, { validation, test }, 256, 5, rng);
  const tMlp = (performance.now() - t1) / 1000;
  console.log(`MLP 784-256-10: validation ${mlp['validation']}, test ${mlp['test']} (${tMlp.toFixed(0)} s)`);

  const processor = new ViTImageProcessor({ size: { height: 28, width: 28 }, imageMean: [mean, mean, mean], imageStd: [std, std, std] });
  const id2label = Object.fromEntries(LABELS.map((l, i) => [i, l]));
  const model = new ViTForImageClassification({
    imageSize: 28, patchSize: 7, numChannels: 3, hiddenSize: 64, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 128,
    hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, layerNormEps: 1e-12,
    numLabels: 10, id2label, label2id: Object.fromEntries(LABELS.map((l, i) => [l, i])),
  }, { seed });
  const collator = new DataCollatorForImageClassification({ processor });
  const trainer = new Trainer<Item>({
    model,
    trainDataset: Dataset.fromArray(train),
    evalDataset: Dataset.fromArray(validation),
    collator: collator.collate as never,
    learningRate: Number(args.lr),
    weightDecay: 0.05,
    scheduler: 'cosine',
    warmupRatio: 0.05,
    epochs,
    batchSize,
    evalBatchSize: 500,
    logEvery: 50,
    evalEvery: 430,
    seed,
    metrics: classificationMetrics(),
    callbacks: [{ onLog: (_state, entry) => { console.log(JSON.stringify(entry)); } }],
  });
  const t2 = performance.now();
  const result = await trainer.train();
  const tViT = (performance.now() - t2) / 1000;
  console.log(`ViT trained: ${result.globalStep} steps in ${tViT.toFixed(0)} s`);

  fs.mkdirSync(args.out, { recursive: true });
  await model.savePretrained(args.out);
  await processor.savePretrained(args.out);
  await convertToFloat16(args.out);
  model.dispose();

  // Evaluate what ships: the float16 file, loaded back.
  const shipped = await ViTForImageClassification.fromPretrained(args.out);
  const evalShipped = async (items: readonly Item[]) => {
    const correct: boolean[] = [];
    for (let b = 0; b < items.length; b += 500) {
      const batch = items.slice(b, b + 500);
      const px = processor.preprocess(batch.map((i) => i.image));
      const pred = tf.tidy(() => tf.argMax(shipped.forward({ pixelValues: px }).logits, 1).dataSync() as Int32Array);
      px.dispose();
      batch.forEach((it, i) => correct.push(pred[i] === it.label));
    }
    return correct;
  };
  const valCorrect = await evalShipped(validation);
  const testCorrect = await evalShipped(test);
  const acc = (c: boolean[]) => c.filter(Boolean).length / c.length;
  const perClass = LABELS.map((l, k) => {
    const ofClass = test.filter((t) => t.label === k);
    return [l, ofClass.filter((t) => testCorrect[t.index]).length / ofClass.length];
  });
  console.log(`ViT (float16, as shipped): validation ${acc(valCorrect)}, test ${acc(testCorrect)}`);
  console.log(`test accuracy per class: ${perClass.map(([l, a]) => `${l} ${(a as number).toFixed(3)}`).join(', ')}`);

  // Example images: for each of these classes, the first test image (lowest index) the model labels right.
  fs.mkdirSync(args.images, { recursive: true });
  const examples = (['Shirt', 'Trouser', 'Ankle boot'] as const).map((name) => {
    const k = LABELS.indexOf(name);
    const firstOfClass = test.find((t) => t.label === k)!;
    const chosen = test.find((t) => t.label === k && testCorrect[t.index])!;
    const file = `${name.toLowerCase().replace(/[^a-z]+/g, '-')}.png`;
    fs.writeFileSync(path.join(args.images, file), encodeGrayPng(chosen.image.width, chosen.image.height, chosen.image.data));
    return { file, testIndex: chosen.index, label: name, firstOfClassIndex: firstOfClass.index };
  });
  shipped.dispose();

  const summary = {
    command: process.argv.slice(2).join(' '),
    data: { source: args.data, train: train.length, validation: '55000–59999 of the training file', test: test.length, pixelMean: mean, pixelStd: std },
    vit: {
      config: { imageSize: 28, patchSize: 7, hiddenSize: 64, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 128 },
      parameters: shippedParameterCount(args.out),
      epochs, batchSize, learningRate: Number(args.lr), weightDecay: 0.05, scheduler: 'cosine', warmupRatio: 0.05, seed,
      steps: result.globalStep, trainingLoss: result.trainingLoss, seconds: Math.round(tViT),
      validationAccuracy: acc(valCorrect), testAccuracy: acc(testCorrect), testAccuracyPerClass: Object.fromEntries(perClass),
    },
    baselines: {
      logisticRegression: { epochs: 5, optimizer: 'Adam 3e-3', validationAccuracy: logistic['validation'], testAccuracy: logistic['test'], seconds: Math.round(tLogistic) },
      mlp: { hidden: 256, epochs: 5, optimizer: 'Adam 1e-3', validationAccuracy: mlp['validation'], testAccuracy: mlp['test'], seconds: Math.round(tMlp) },
    },
    examples,
    logHistory: result.logHistory,
  };
  fs.writeFileSync(path.join(args.out, 'training_summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify({ ...summary, logHistory: undefined }, null, 2));
}

function shippedParameterCount(dir: string): number {
  const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { shape?: number[] }>;
  return Object.entries(header).filter(([k]) => k !== '__metadata__').reduce((n, [, t]) => n + (t.shape ?? []).reduce((a, b) => a * b, 1), 0);
}

await main();
