import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { FinetuneError, NonFiniteLossError } from '../errors.js';
import { LoraModel } from '../methods/lora.js';
import { classificationMetrics } from '../metrics/classification.js';
import { SGD } from '../optim/sgd.js';
import { ToyClassifier, toyCollator, toyDataset, type ToyExample } from '../testing/toy.js';
import { EarlyStoppingCallback, type TrainerCallback } from './callbacks.js';
import { Trainer, type TrainerOptions } from './trainer.js';

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-trainer-'));
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const train = toyDataset(64, 1);
const evalSet = toyDataset(32, 2);

function options(model: ToyClassifier, extra: Partial<TrainerOptions<ToyExample>> = {}): TrainerOptions<ToyExample> {
  return { model, trainDataset: train, evalDataset: evalSet, collator: toyCollator, batchSize: 8, learningRate: 0.05, logEvery: 1, seed: 7, ...extra };
}

describe('Trainer', () => {
  it('learns the toy task, evaluates with metrics and leaks nothing', async () => {
    const model = new ToyClassifier({ dropout: 0.1 });
    await expectNoLeaks(async () => {
      const trainer = new Trainer(options(model, { epochs: 6, metrics: classificationMetrics() }));
      const before = await trainer.evaluate();
      const result = await trainer.train();
      const after = await trainer.evaluate();
      expect(result.globalStep).toBe(6 * 8);
      expect(after['eval_loss']).toBeLessThan((before['eval_loss'] as number) * 0.6);
      expect(after['eval_accuracy']).toBeGreaterThan(0.9);
      expect(after).toHaveProperty('eval_f1');
      const losses = result.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
      expect(losses).toHaveLength(48);
      trainer.optimizer.dispose();
    });
    model.dispose();
  });

  it('gradient accumulation over 2×4 examples equals one batch of 8', async () => {
    const run = async (batchSize: number, gradientAccumulationSteps: number) => {
      const model = new ToyClassifier();
      const trainer = new Trainer(options(model, {
        batchSize, gradientAccumulationSteps, maxSteps: 3, optimizer: (m) => new SGD(m.namedParameters(), { lr: 0.5 }), maxGradNorm: null, scheduler: 'constant',
      }));
      await trainer.train();
      const w = Array.from(model.classifier.weight.value.dataSync());
      trainer.optimizer.dispose();
      model.dispose();
      return w;
    };
    const a = await run(8, 1);
    const b = await run(4, 2);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i] as number, 5));
  });

  it('an interrupted and resumed run has exactly the loss curve of an uninterrupted one', async () => {
    const base = { epochs: 2, saveEvery: 4, warmupSteps: 2, weightDecay: 0.01 };
    const modelA = new ToyClassifier({ dropout: 0.2 });
    const a = new Trainer(options(modelA, { ...base, outputDir: path.join(tmp, 'a') }));
    const full = await a.train();

    const dirB = path.join(tmp, 'b');
    const crash: TrainerCallback = { onStepEnd: (s) => { if (s.globalStep === 11) throw new Error('simulated crash'); } };
    const modelB = new ToyClassifier({ dropout: 0.2 });
    const b = new Trainer(options(modelB, { ...base, outputDir: dirB, callbacks: [crash] }));
    await expect(b.train()).rejects.toThrow('simulated crash');
    expect(await fs.readdir(dirB)).toEqual(['checkpoint-4', 'checkpoint-8']);

    const modelC = new ToyClassifier({ dropout: 0.2, seed: 99 }); // different init: everything comes from the checkpoint
    const c = new Trainer(options(modelC, { ...base, outputDir: dirB }));
    const resumed = await c.train({ resumeFrom: true });
    const curve = (h: typeof full.logHistory) => h.filter((e) => e.loss !== undefined).map((e) => [e.step, e.loss, e.learningRate]);
    expect(curve(resumed.logHistory)).toEqual(curve(full.logHistory));
    expect(Array.from(modelC.classifier.weight.value.dataSync())).toEqual(Array.from(modelA.classifier.weight.value.dataSync()));
    for (const t of [a, b, c]) t.optimizer.dispose();
    for (const m of [modelA, modelB, modelC]) m.dispose();
  });

  it('a non-finite loss stops training with a clear error and keeps the last good checkpoint', async () => {
    const model = new ToyClassifier();
    const dir = path.join(tmp, 'nan');
    let calls = 0;
    const trainer = new Trainer(options(model, {
      maxSteps: 10, saveEvery: 1, outputDir: dir,
      computeLoss: (out, batch) => tf.tidy(() => {
        const labels = tf.oneHot(tf.cast(batch['labels'] as tf.Tensor, 'int32'), 2);
        const ce = tf.losses.softmaxCrossEntropy(labels, out.logits as tf.Tensor) as tf.Scalar;
        return ++calls === 3 ? tf.mul(ce, NaN) : ce;
      }),
    }));
    const before = Array.from(model.classifier.weight.value.dataSync());
    const error = await trainer.train().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/step 3: the loss is NaN/);
    expect(await fs.readdir(dir)).toEqual(['checkpoint-1', 'checkpoint-2']);
    expect(Array.from(model.classifier.weight.value.dataSync())).not.toEqual(before);
    trainer.optimizer.dispose();
    model.dispose();
  });

  it("onNonFiniteLoss: 'skip' drops the bad step and goes on", async () => {
    const model = new ToyClassifier();
    let calls = 0;
    const trainer = new Trainer(options(model, {
      maxSteps: 5,
      computeLoss: (out, batch) => tf.tidy(() => {
        const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(batch['labels'] as tf.Tensor, 'int32'), 2), out.logits as tf.Tensor) as tf.Scalar;
        return ++calls === 2 ? tf.div(ce, 0) : ce;
      }),
      onNonFiniteLoss: 'skip',
    }));
    const result = await expectNoLeaks(async () => {
      const r = await trainer.train();
      trainer.optimizer.dispose();
      return r;
    });
    expect(result.globalStep).toBe(5);
    expect(trainer.state.skippedSteps).toBe(1);
    model.dispose();
  });

  it('early stopping ends training when the metric stops improving', async () => {
    const model = new ToyClassifier();
    const stopper = new EarlyStoppingCallback({ metric: 'eval_loss', patience: 2 });
    const trainer = new Trainer(options(model, { maxSteps: 200, evalEvery: 1, learningRate: 0, callbacks: [stopper] }));
    const result = await trainer.train();
    // lr 0: the loss never improves after the first evaluation, so training stops at step 3.
    expect(result.globalStep).toBe(3);
    trainer.optimizer.dispose();
    model.dispose();
  });

  it('early stopping keeps its patience across a resume (its state is in the checkpoint)', async () => {
    const dir = path.join(tmp, 'early');
    const model = new ToyClassifier();
    // Stops itself after step 2 (one evaluation without improvement, with a checkpoint every step).
    const first = new Trainer(options(model, { maxSteps: 2, evalEvery: 1, saveEvery: 1, learningRate: 0, outputDir: dir, callbacks: [new EarlyStoppingCallback({ patience: 2 })] }));
    await first.train();
    const saved = JSON.parse(await fs.readFile(path.join(dir, 'checkpoint-2', 'trainer_state.json'), 'utf8')) as { callbacks: Record<string, { waited: number; best: number }> };
    expect(saved.callbacks['early_stopping']?.waited).toBe(1);
    // Resumed with a fresh callback, it remembers one evaluation without improvement: stops after step 3.
    const resumed = new Trainer(options(model, { maxSteps: 200, evalEvery: 1, learningRate: 0, outputDir: dir, callbacks: [new EarlyStoppingCallback({ patience: 2 })] }));
    expect((await resumed.train({ resumeFrom: true })).globalStep).toBe(3);
    for (const t of [first, resumed]) t.optimizer.dispose();
    model.dispose();
  });

  it('shuffle: false trains on the batches in the dataset order (the default shuffles, seeded)', async () => {
    const seen = (shuffle?: boolean) => {
      const firsts: number[][] = [];
      const model = new ToyClassifier();
      const collator = (b: ToyExample[]) => {
        firsts.push(b.map((e) => train.toArray().indexOf(e)));
        return toyCollator(b);
      };
      const trainer = new Trainer(options(model, { maxSteps: 10, collator, ...(shuffle === undefined ? {} : { shuffle }) }));
      return trainer.train().then(() => {
        trainer.optimizer.dispose();
        model.dispose();
        return firsts;
      });
    };
    const inOrder = Array.from({ length: 10 }, (_, b) => Array.from({ length: 8 }, (_, i) => ((b * 8) % 64) + i));
    expect(await seen(false)).toEqual(inOrder);
    const shuffled = await seen();
    expect(shuffled).not.toEqual(inOrder);
    expect(shuffled.slice(0, 8).flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(await seen(true)).toEqual(shuffled);
  });

  it('accepts the LoRA wrapper itself as model: trains its adapter on the model it wraps', async () => {
    const model = new ToyClassifier();
    const base = () => Array.from(model.getModule('encoder.layer.0.dense').namedParameters().find(([n]) => n.endsWith('weight') && !n.includes('lora'))?.[1].value.dataSync() ?? []);
    const frozen = base();
    const lora = LoraModel.apply(model, { r: 2, loraAlpha: 4, targetModules: ['dense'], modulesToSave: ['classifier'], seed: 3 });
    const trainer = new Trainer(options(model, { model: lora, epochs: 3 }));
    expect(trainer.model).toBe(model);
    const before = await trainer.evaluate();
    await trainer.train();
    const after = await trainer.evaluate();
    expect(after['eval_loss']).toBeLessThan((before['eval_loss'] as number) * 0.9);
    expect(frozen).toHaveLength(64);
    expect(base()).toEqual(frozen);
    expect(trainer.optimizer.namedParameters().map(([n]) => n).every((n) => n.includes('lora_') || n.startsWith('classifier.'))).toBe(true);
    trainer.optimizer.dispose();
    lora.dispose();
    model.dispose();
    expect(() => new Trainer(options(model, { model: { model: 3 } as never }))).toThrow(FinetuneError);
  });

  it("onNonFiniteLoss: 'skip' gives up with a NonFiniteLossError after maxConsecutiveSkips bad steps in a row", async () => {
    const model = new ToyClassifier();
    let calls = 0;
    const nan = (): TrainerOptions<ToyExample>['computeLoss'] => (out) => {
      calls++;
      return tf.mul(tf.sum(out.logits as tf.Tensor), NaN) as tf.Scalar;
    };
    await expectNoLeaks(async () => {
      const trainer = new Trainer(options(model, { maxSteps: 5, computeLoss: nan(), onNonFiniteLoss: 'skip', maxConsecutiveSkips: 20 }));
      const error = await trainer.train().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonFiniteLossError);
      expect(error).toMatchObject({ step: 1, consecutiveSkips: 20 });
      expect((error as Error).message).toMatch(/20th step in a row/);
      // 20 batches (2.5 epochs of 8), not an endless loop over the data.
      expect(calls).toBe(20);
      expect(trainer.state.skippedSteps).toBe(20);
      const defaults = new Trainer(options(model, { maxSteps: 5, computeLoss: nan(), onNonFiniteLoss: 'skip' }));
      await expect(defaults.train()).rejects.toMatchObject({ consecutiveSkips: 10 });
      trainer.optimizer.dispose();
      defaults.optimizer.dispose();
    });
    expect(() => new Trainer(options(model, { maxConsecutiveSkips: 0 }))).toThrow(FinetuneError);
    model.dispose();
  });

  it('yields to the event loop between steps: a timer set at the start (a Ctrl-C handler) can stop training', async () => {
    const model = new ToyClassifier();
    let stopTimerRan = false;
    const stopSoon: TrainerCallback = {
      onTrainBegin: (state) => {
        setImmediate(() => {
          stopTimerRan = true;
          state.shouldStop = true;
        });
      },
    };
    // Every step is skipped (NaN), so only the timer can end the run before maxConsecutiveSkips.
    const trainer = new Trainer(options(model, {
      maxSteps: 5, callbacks: [stopSoon], onNonFiniteLoss: 'skip', maxConsecutiveSkips: 1000,
      computeLoss: (out) => tf.mul(tf.sum(out.logits as tf.Tensor), NaN) as tf.Scalar,
    }));
    const result = await trainer.train();
    expect(stopTimerRan).toBe(true);
    expect(result.globalStep).toBe(0);
    expect(trainer.state.skippedSteps).toBeLessThanOrEqual(2);
    trainer.optimizer.dispose();
    model.dispose();
  });

  it('a loss that throws in the middle of a step (with accumulation) propagates its error and leaks no tensor', async () => {
    const model = new ToyClassifier();
    await expectNoLeaks(async () => {
      let calls = 0;
      const trainer = new Trainer(options(model, {
        maxSteps: 3, gradientAccumulationSteps: 2,
        computeLoss: (out, batch) => {
          const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(batch['labels'] as tf.Tensor, 'int32'), 2), out.logits as tf.Tensor) as tf.Scalar;
          if (++calls === 4) throw new RangeError('broken label in batch 4');
          return ce;
        },
      }));
      await expect(trainer.train()).rejects.toThrow(RangeError);
      expect(trainer.state.globalStep).toBe(1);
      // A loss of the wrong shape is a typed error, with nothing left behind either.
      const vector = new Trainer(options(model, { maxSteps: 1, computeLoss: (out) => tf.sum(out.logits as tf.Tensor, 1) as unknown as tf.Scalar }));
      await expect(vector.train()).rejects.toThrow(/the loss must be a scalar tensor, got a tensor of shape \[8\]/);
      // Training still works afterwards (tfjs's gradient tape was left clean).
      const after = new Trainer(options(model, { maxSteps: 2 }));
      expect((await after.train()).globalStep).toBe(2);
      for (const t of [trainer, vector, after]) t.optimizer.dispose();
    });
    model.dispose();
  });
});
