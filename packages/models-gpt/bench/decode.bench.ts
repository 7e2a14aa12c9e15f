/**
 * Decoding benchmark: what one generated token costs.
 *
 * - the CLI's embedded tiny GPT-2 (packages/all/assets/tiny-gpt2: 4 layers × 128, vocab 4096):
 *   tokens/s of greedy `generate` (100 new tokens after an 8-token prompt);
 * - GPT-2 small's shape (12 × 768, vocab 50257, random weights): one decoding step against 128
 *   cached positions, through `model.forward({ pastKeyValues })` and through the decoding session
 *   `generate` uses, and a 128-token forward;
 * - kernels per decoding step (`tf.profile`, custom-gradient scopes left out), which unlike the
 *   times do not depend on the machine's load.
 *
 * Times are medians (min–max) over DECODE_BENCH_ROUNDS rounds of wall-clock time and of this
 * process's CPU time (user + system; tfjs-backend-wasm runs on one thread here), which moves less
 * than wall-clock time on a shared machine. Compare two builds by running this file in both,
 * interleaved, and taking ratios run by run.
 *
 * DECODE_BENCH_FUSED=0 runs without tfkit's fused wasm kernels (dense, residual add + layer norm,
 * cached attention, layer norm, GELU). DECODE_BENCH_INTERLEAVE=1 instead times both in one process, switching the
 * kernels on and off round by round in alternating order, and reports per-round ratios.
 *
 *   pnpm --filter @tfkit/models-gpt bench     (TFKIT_BENCH_BACKEND=cpu to change backend)
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_DENSE, FUSED_GELU, FUSED_LAYER_NORM } from '@tfkit/core-tensor';
import { generate } from '@tfkit/generation';
import { it } from 'vitest';
import { GPT2LMHeadModel } from '../src/index.js';
import type { PastKeyValues } from '../src/index.js';

const ROUNDS = Number(process.env['DECODE_BENCH_ROUNDS'] ?? 5);
const INTERLEAVE = process.env['DECODE_BENCH_INTERLEAVE'] === '1';
// DECODE_BENCH_TOGGLE=TfkitDense,… limits the switch to those kernels (the others stay on).
const FUSED_KERNELS = process.env['DECODE_BENCH_TOGGLE']?.split(',') ?? [FUSED_DENSE, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_LAYER_NORM, FUSED_GELU];

/** Registers or unregisters tfkit's fused kernels for `backend` (the configs are kept to re-register). */
function fusedSwitch(backend: string): (on: boolean) => void {
  const configs = FUSED_KERNELS.map((name) => tf.getKernel(name, backend)).filter((c): c is tf.KernelConfig => c !== undefined);
  return (on) => {
    for (const c of configs) {
      const present = tf.getKernel(c.kernelName, backend) !== undefined;
      if (on && !present) tf.registerKernel(c);
      if (!on && present) tf.unregisterKernel(c.kernelName, backend);
    }
  };
}
const TINY_DIR = path.resolve(import.meta.dirname, '../../../packages/all/assets/tiny-gpt2');

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function timed(f: () => Promise<void> | void): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

function summary(xs: number[], digits = 2): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)] as number).toFixed(digits)} (${(s[0] as number).toFixed(digits)}–${(s[s.length - 1] as number).toFixed(digits)})`;
}

/** Kernels `f` runs on the active backend, custom-gradient scopes left out. */
async function kernelCount(f: () => tf.TensorContainer): Promise<number> {
  const profile = await tf.profile(() => f());
  return profile.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined).length;
}

function disposePast(past: PastKeyValues | undefined): void {
  past?.forEach(({ key, value }) => tf.dispose([key, value]));
}

/** One decoding step against `pastLength` cached positions, through `forward` and through the session `generate` uses. */
async function decodeSteps(model: GPT2LMHeadModel, pastLength: number, maxStepsPerRound: number) {
  const vocab = model.config.vocabSize;
  // The session's cache grows by a step each time: keep it inside the position table.
  const stepsPerRound = Math.max(1, Math.min(maxStepsPerRound, Math.floor((model.config.nPositions - pastLength - 2) / ROUNDS)));
  const prompt = [Array.from({ length: pastLength }, (_, i) => (i * 37 + 11) % vocab)];
  const first = model.forward({ inputIds: prompt, useCache: true });
  const past = first.pastKeyValues ?? null;
  first.logits.dispose();
  const step = () => model.forward({ inputIds: [[5]], pastKeyValues: past, useCache: true });
  const forwardKernels = await kernelCount(() => {
    const out = step();
    return [out.logits, ...(out.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])];
  });
  // The session keeps growing its cache; it starts one token short so its steps see pastLength + 1… keys.
  const session = model.startDecoding({ inputIds: [prompt[0]!.slice(0, -1)], attentionMask: [prompt[0]!.slice(0, -1).map(() => 1)] }, { useCache: true });
  session.nextTokenLogits().dispose();
  session.append([prompt[0]!.at(-1)!]);
  const sessionKernels = await kernelCount(() => session.nextTokenLogits());
  session.append([6]);
  const viaForward: Sample[] = [];
  const viaSession: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    viaForward.push(await timed(async () => {
      for (let i = 0; i < stepsPerRound; i++) {
        const out = step();
        await out.logits.data();
        out.logits.dispose();
        disposePast(out.pastKeyValues);
      }
    }));
    viaSession.push(await timed(async () => {
      for (let i = 0; i < stepsPerRound; i++) {
        const logits = session.nextTokenLogits();
        await logits.data();
        logits.dispose();
        session.append([7]);
      }
    }));
  }
  session.dispose();
  disposePast(past ?? undefined);
  const perStep = (xs: Sample[], k: keyof Sample) => xs.map((x) => x[k] / stepsPerRound);
  return {
    forwardKernels, sessionKernels,
    forwardWallMs: perStep(viaForward, 'wallMs'), forwardCpuMs: perStep(viaForward, 'cpuMs'),
    sessionWallMs: perStep(viaSession, 'wallMs'), sessionCpuMs: perStep(viaSession, 'cpuMs'),
  };
}

it.skipIf(INTERLEAVE)(`decoding: tiny GPT-2 tokens/s, GPT-2-small decode step and forward, ${ROUNDS} rounds`, async () => {
  const backend = process.env['TFKIT_BENCH_BACKEND'] ?? 'wasm';
  await tf.setBackend(backend);
  await tf.ready();
  // DECODE_BENCH_FUSED=0 runs the composites instead of the fused kernels.
  const fused = process.env['DECODE_BENCH_FUSED'] !== '0';
  const setFused = fusedSwitch(backend);
  setFused(fused);
  const results: Record<string, unknown> = { backend, fused: fused && tf.getKernel(FUSED_DENSE, backend) !== undefined };
  const lines = [`backend ${backend}${results['fused'] ? ' (fused dense, add + layer norm, cached attention, layer norm, GELU)' : ''}; median (min–max) of ${ROUNDS} rounds; wall-clock / CPU time of this process`];

  const tiny = await GPT2LMHeadModel.fromPretrained(TINY_DIR);
  const NEW_TOKENS = 100;
  const run = () => generate(tiny, [[1, 2, 3, 4, 5, 6, 7, 8]], { maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS, eosTokenId: undefined, padTokenId: 0 });
  await run(); // warm-up: kernels and XNNPACK operators
  const gen: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) gen.push(await timed(async () => void (await run())));
  const tinySteps = await decodeSteps(tiny, 16, 20);
  tiny.dispose();
  results['tiny'] = { tokensPerSecWall: gen.map((s) => (NEW_TOKENS * 1000) / s.wallMs), tokensPerSecCpu: gen.map((s) => (NEW_TOKENS * 1000) / s.cpuMs), ...tinySteps };
  lines.push(
    `tiny GPT-2 generate: ${summary(gen.map((s) => (NEW_TOKENS * 1000) / s.wallMs), 0)} tokens/s wall, ${summary(gen.map((s) => (NEW_TOKENS * 1000) / s.cpuMs), 0)} tokens/s CPU`,
    `tiny GPT-2 step @16 past: kernels ${tinySteps.forwardKernels} via forward, ${tinySteps.sessionKernels} via the session; ` +
      `forward ${summary(tinySteps.forwardWallMs)} / ${summary(tinySteps.forwardCpuMs)} ms, session ${summary(tinySteps.sessionWallMs)} / ${summary(tinySteps.sessionCpuMs)} ms`,
  );

  if (process.env['DECODE_BENCH_SMALL'] !== '0') {
    const small = new GPT2LMHeadModel({ vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 }, { seed: 0 });
    const steps = await decodeSteps(small, 128, 3);
    const ids = [Array.from({ length: 128 }, (_, i) => (i * 37 + 11) % 50257)];
    const once = async () => {
      const { logits } = small.forward({ inputIds: ids });
      await logits.data();
      logits.dispose();
    };
    await once();
    const fwd: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) fwd.push(await timed(once));
    small.dispose();
    results['small'] = { ...steps, s128WallMs: fwd.map((s) => s.wallMs), s128CpuMs: fwd.map((s) => s.cpuMs) };
    lines.push(
      `GPT-2 small step @128 past: kernels ${steps.forwardKernels} via forward, ${steps.sessionKernels} via the session; ` +
        `forward ${summary(steps.forwardWallMs)} / ${summary(steps.forwardCpuMs)} ms, session ${summary(steps.sessionWallMs)} / ${summary(steps.sessionCpuMs)} ms`,
      `GPT-2 small forward s128: ${summary(fwd.map((s) => s.wallMs), 0)} / ${summary(fwd.map((s) => s.cpuMs), 0)} ms`,
    );
  }
  console.log(lines.join('\n'));
  console.log(`DECODE_BENCH ${JSON.stringify(results)}`);
  setFused(true);
});

/** Median (min–max) of the per-round ratios a ÷ b. */
function ratios(a: number[], b: number[]): string {
  return summary(a.map((x, i) => x / (b[i] as number)));
}

it.runIf(INTERLEAVE)(`decoding, fused kernels on and off in one process: ${ROUNDS} interleaved rounds`, async () => {
  const backend = process.env['TFKIT_BENCH_BACKEND'] ?? 'wasm';
  await tf.setBackend(backend);
  await tf.ready();
  const setFused = fusedSwitch(backend);
  const lines = [`backend ${backend}; fused kernels ${FUSED_KERNELS.join(', ')} on/off interleaved, ${ROUNDS} rounds (alternating order); CPU time of this process; ratio = off ÷ on per round`];
  const results: Record<string, unknown> = { backend };

  const tiny = await GPT2LMHeadModel.fromPretrained(TINY_DIR);
  const NEW_TOKENS = 100;
  const run = () => generate(tiny, [[1, 2, 3, 4, 5, 6, 7, 8]], { maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS, eosTokenId: undefined, padTokenId: 0 });
  const tokens: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (const mode of ['on', 'off'] as const) {
    setFused(mode === 'on');
    await run(); // warm-up of each path
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of (round % 2 ? ['off', 'on'] : ['on', 'off']) as ('on' | 'off')[]) {
      setFused(mode === 'on');
      const s = await timed(async () => void (await run()));
      tokens[mode].push((NEW_TOKENS * 1000) / s.cpuMs);
    }
  }
  tiny.dispose();
  results['tinyTokensPerCpuSecond'] = tokens;
  lines.push(`tiny GPT-2 generate, tokens per CPU second: on ${summary(tokens.on, 0)}, off ${summary(tokens.off, 0)}; speed-up ${ratios(tokens.on, tokens.off)}×`);

  if (process.env['DECODE_BENCH_SMALL'] !== '0') {
    const small = new GPT2LMHeadModel({ vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 }, { seed: 0 });
    const step: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const kernels: Record<string, number> = {};
    for (const mode of ['on', 'off'] as const) {
      setFused(mode === 'on');
      const s = await decodeSteps(small, 128, 3);
      kernels[mode] = s.sessionKernels;
      kernels[`${mode}Forward`] = s.forwardKernels;
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of (round % 2 ? ['off', 'on'] : ['on', 'off']) as ('on' | 'off')[]) {
        setFused(mode === 'on');
        const session = small.startDecoding({ inputIds: [Array.from({ length: 128 }, (_, i) => (i * 37 + 11) % 50257)], attentionMask: [Array.from({ length: 128 }, () => 1)] }, { useCache: true });
        session.nextTokenLogits().dispose();
        session.append([5]);
        const STEPS = 4;
        const s = await timed(async () => {
          for (let i = 0; i < STEPS; i++) {
            const logits = session.nextTokenLogits();
            await logits.data();
            logits.dispose();
            session.append([7]);
          }
        });
        session.dispose();
        step[mode].push(s.cpuMs / STEPS);
      }
    }
    small.dispose();
    results['small'] = { kernels, stepCpuMs: step };
    lines.push(
      `GPT-2 small step @128 past: kernels on ${kernels['onForward']} / ${kernels['on']} (forward / session), off ${kernels['offForward']} / ${kernels['off']}`,
      `GPT-2 small step via the session, CPU ms: on ${summary(step.on)}, off ${summary(step.off)}; speed-up ${ratios(step.off, step.on)}×`,
    );
  }
  setFused(true);
  console.log(lines.join('\n'));
  console.log(`DECODE_BENCH_INTERLEAVED ${JSON.stringify(results)}`);
});
