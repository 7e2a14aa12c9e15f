import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerAll } from '@tfkit/all';
import { AutoModel, createRegistry, parseSafetensors, toFloat32, type PretrainedModel } from '@tfkit/core-tensor';
import { expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit, spawnTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-quantize-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

type Lm = PretrainedModel & { forward(inputs: { inputIds: number[][]; attentionMask: number[][] }): { logits: tf.Tensor } };

describe('tfkit quantize', () => {
  const source = path.join(tmp, 'gpt2');
  beforeAll(() => {
    fs.mkdirSync(source);
    for (const f of fs.readdirSync(fixturePath('models', 'gpt2-lm'))) fs.copyFileSync(fixturePath('models', 'gpt2-lm', f), path.join(source, f));
    fs.writeFileSync(path.join(source, 'README.md'), 'card\n');
  });

  it('writes int8 weights (per channel, the axis with the smaller error) whose logits stay close to float32', async () => {
    const run = await tfkit('quantize', 'gpt2', 'gpt2-int8');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/weights [\d.]+ MB → [\d.]+ MB \(int8\)/);
    const out = path.join(tmp, 'gpt2-int8');
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toBe('card\n');
    for (const f of ['config.json', 'generation_config.json', 'expected.json', 'inputs.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const original = parseSafetensors(fs.readFileSync(path.join(source, 'model.safetensors')));
    const file = parseSafetensors(fs.readFileSync(path.join(out, 'model.safetensors')));
    expect(file.metadata).toEqual({ format: 'pt', tfkit_quantization: 'int8-per-channel' });
    const c = (name: string) => [file.tensors.get(name)?.dtype, file.tensors.get(name)?.shape];
    expect(c('transformer.h.0.attn.c_attn.weight')).toEqual(['I8', [32, 96]]);
    expect([[32, 1], [1, 96]]).toContainEqual(c('transformer.h.0.attn.c_attn.weight.__scale')[1]);
    expect([[1000, 1], [1, 32]]).toContainEqual(c('transformer.wte.weight.__scale')[1]);
    expect(c('transformer.h.0.ln_1.weight')).toEqual(['F32', [32]]);
    expect(fs.statSync(path.join(out, 'model.safetensors')).size).toBeLessThan(0.35 * fs.statSync(path.join(source, 'model.safetensors')).size);
    // Every stored value is within half a step of the original, on whichever axis was chosen.
    for (const name of ['transformer.h.1.mlp.c_fc.weight', 'transformer.wte.weight']) {
      const w = toFloat32(original.tensors.get(name)!);
      const [rows, cols] = original.tensors.get(name)!.shape as [number, number];
      const q = file.tensors.get(name)!.data as Int8Array;
      const scaleRaw = file.tensors.get(`${name}.__scale`)!;
      const scale = toFloat32(scaleRaw);
      const perRow = scaleRaw.shape[1] === 1;
      let worst = 0;
      for (let i = 0; i < rows * cols; i++) {
        const s = scale[perRow ? Math.floor(i / cols) : i % cols] as number;
        worst = Math.max(worst, Math.abs((w[i] as number) - (q[i] as number) * s) / s);
      }
      expect(worst, name).toBeLessThanOrEqual(0.5);
    }

    const registry = registerAll(createRegistry());
    const { input_ids, attention_mask } = readFixtureJson<{ forward: { input_ids: number[][]; attention_mask: number[][] } }>('models', 'gpt2-lm', 'inputs.json').forward;
    const full = await AutoModel.fromPretrained<Lm>(source, { registry });
    const int8 = await AutoModel.fromPretrained<Lm>(out, { registry });
    await expectNoLeaks(() => {
      const a = full.forward({ inputIds: input_ids, attentionMask: attention_mask }).logits;
      const b = int8.forward({ inputIds: input_ids, attentionMask: attention_mask }).logits;
      const [maxDiff, spread] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number, tf.sub(tf.max(a), tf.min(a)).dataSync()[0] as number]);
      // Measured: 0.166 on logits spanning 13.0 (1.3%; the fixture's weights are N(0, 0.3²), wider
      // than trained ones). Dequantizing along the wrong axis gives errors of the order of the logits.
      expect(maxDiff).toBeGreaterThan(0);
      expect(maxDiff).toBeLessThan(0.025 * spread);
      const argmaxSame = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0] as number);
      expect(argmaxSame).toBeGreaterThan(0.9);
      tf.dispose([a, b]);
    });
    // savePretrained writes the same format.
    await int8.savePretrained(path.join(tmp, 'resaved'), { dtype: 'int8' });
    const resaved = parseSafetensors(fs.readFileSync(path.join(tmp, 'resaved', 'model.safetensors')));
    expect(resaved.metadata['tfkit_quantization']).toBe('int8-per-channel');
    expect(resaved.tensors.get('transformer.h.0.mlp.c_fc.weight')?.dtype).toBe('I8');
    full.dispose();
    int8.dispose();
  });

  it('runs in a fresh process, where no backend is active yet', async () => {
    const run = spawnTfkit(['quantize', 'gpt2', 'gpt2-fresh'], tmp);
    expect(await run.exit, run.output.stderr).toMatchObject({ code: 0, killed: false });
    expect(run.output.stdout).toMatch(/weights [\d.]+ MB → [\d.]+ MB \(int8\)/);
    expect(fs.readFileSync(path.join(tmp, 'gpt2-fresh', 'model.safetensors')).equals(fs.readFileSync(path.join(tmp, 'gpt2-int8', 'model.safetensors')))).toBe(true);
  }, 120_000);

  it('writes float16 with --dtype float16, and refuses bad arguments', async () => {
    const run = await tfkit('quantize', '--dtype', 'float16', 'gpt2', 'gpt2-f16');
    expect(run.code, run.stderr).toBe(0);
    const file = parseSafetensors(fs.readFileSync(path.join(tmp, 'gpt2-f16', 'model.safetensors')));
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(new Set([...file.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F16']));
    expect((await tfkit('quantize', 'gpt2')).code).toBe(2);
    expect((await tfkit('quantize', '--dtype', 'int4', 'gpt2', 'x')).stderr).toMatch(/--dtype must be int8 or float16/);
    expect((await tfkit('quantize', 'gpt2', 'gpt2')).stderr).toMatch(/<out> must differ from <in>/);
    const missing = await tfkit('quantize', 'nope', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope: not a checkpoint folder/);
  });
});
