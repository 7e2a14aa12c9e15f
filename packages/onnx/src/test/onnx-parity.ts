/**
 * The parity harness every ONNX test shares: which ONNX Runtimes run here, a session runner and a
 * tolerance check over their outputs, and the export-then-compare loop of single-graph families
 * (exported at several opsets, each runtime's outputs within 1e-4 of tfkit's forward pass and of
 * Hugging Face's reference tensors, the largest differences recorded for `reportDiffs`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { PretrainedModel, Registry } from '@tfkit/core-tensor';
import { expectAllClose, withBackend } from '@tfkit/test-utils';
import { expect } from 'vitest';
import { exportOnnx, type ExportOnnxOptions } from '../export.js';
import { decodeModel } from '../serialize.js';
import { openSession, type OrtModule, type OrtTensor } from './onnx-decoding.js';
import { loadOrt, runOnnx, type Feeds, type Runtime } from './ort.js';
import { camel, maxAbsDiff, record } from './parity.js';

export const TOLERANCE = 1e-4;

/**
 * onnxruntime-web (pure wasm: must load everywhere) and onnxruntime-node where it loads; on the
 * platforms it ships CPU binaries for (linux-x64, darwin-arm64, win32-x64) it must load too.
 */
export async function loadRuntimes(): Promise<Partial<Record<Runtime, OrtModule>>> {
  const nodeRequired = ['linux-x64', 'darwin-arm64', 'win32-x64'].includes(`${process.platform}-${process.arch}`);
  const runtimes: Partial<Record<Runtime, OrtModule>> = {};
  for (const runtime of ['web', 'node'] as Runtime[]) {
    const loaded = await loadOrt(runtime);
    if (typeof loaded !== 'string') runtimes[runtime] = loaded as unknown as OrtModule;
    else if (runtime === 'web' || nodeRequired) throw new Error(loaded);
    else console.warn(`skipped onnxruntime-node parity: ${loaded}`);
  }
  return runtimes;
}

/** `run` opens `file` in `ort`, runs `feeds` and releases the session; `close` checks an output against a tfkit or Hugging Face tensor. */
export function ortRunner(ort: OrtModule): {
  run(file: string, feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  close(actual: OrtTensor, reference: tf.Tensor, label: string, keep?: readonly number[]): Promise<void>;
} {
  return {
    async run(file, feeds) {
      const session = await openSession(ort, file);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    },
    /** Within `TOLERANCE`; with `keep`, only the first `keep[b]` positions of each row `b` of a `[B, T, …]` output. */
    async close(actual, reference, label, keep) {
      expect(actual.dims, label).toEqual(reference.shape);
      await withBackend('cpu', () => {
        const t = tf.tensor(actual.data as Float32Array, [...actual.dims]);
        if (keep === undefined) {
          expectAllClose(t, reference, { label, atol: TOLERANCE });
        } else {
          keep.forEach((n, b) => {
            const a = tf.slice(t, [b, 0, 0], [1, n, -1]);
            const e = tf.slice(reference, [b, 0, 0], [1, n, -1]);
            expectAllClose(a, e, { label: `${label} row ${b}`, atol: TOLERANCE });
            tf.dispose([a, e]);
          });
        }
        t.dispose();
      });
    },
  };
}

/** A tfkit model with a forward pass giving its outputs under camel-case names (`last_hidden_state` → `lastHiddenState`). */
export type Forward = PretrainedModel & { forward(inputs: Record<string, unknown>): Record<string, tf.Tensor> };

/** One input batch: ONNX feeds, the same inputs for tfkit's forward, and whether Hugging Face's reference outputs are for it. */
export interface ParityBatch {
  readonly name: string;
  readonly feeds: Feeds;
  readonly forward: Record<string, unknown>;
  /** Hugging Face's outputs were computed from this batch (the fixture's inputs). */
  readonly hf?: boolean;
}

/**
 * Runs `file` in every runtime on each batch and checks every output within 1e-4 of tfkit's forward
 * pass, and of `expected.get(reference)` for a batch with `hf` where the output has a reference
 * (`outputs` maps ONNX output name → Hugging Face tensor name, null for tfkit only).
 */
export async function expectRuntimesMatch(args: {
  readonly runtimes: Partial<Record<Runtime, OrtModule>>;
  readonly file: string;
  readonly model: Forward;
  readonly batches: readonly ParityBatch[];
  readonly outputs: Readonly<Record<string, string | null>>;
  readonly expected?: ReadonlyMap<string, tf.Tensor>;
  /** Names the model in labels and in the recorded differences. */
  readonly label: string;
  /** Says where in the failure message (e.g. `opset 17`). */
  readonly where: string;
}): Promise<void> {
  for (const batch of args.batches) {
    const ours = args.model.forward(batch.forward);
    for (const [runtime, ort] of Object.entries(args.runtimes) as [Runtime, OrtModule][]) {
      const got = await runOnnx(ort as never, args.file, batch.feeds);
      for (const [output, reference] of Object.entries(args.outputs)) {
        const label = `${args.label} ${output}`;
        const vsTfkit = maxAbsDiff(got[output] as never, ours[camel(output)] as tf.Tensor, label);
        record(`${runtime} vs tfkit: ${label}`, vsTfkit);
        expect(vsTfkit, `${runtime} ${args.where} ${batch.name}: ${label} vs tfkit`).toBeLessThan(TOLERANCE);
        if (batch.hf && reference !== null && args.expected) {
          const vsHf = maxAbsDiff(got[output] as never, args.expected.get(reference) as tf.Tensor, label);
          record(`${runtime} vs HF: ${label}`, vsHf);
          expect(vsHf, `${runtime} ${args.where}: ${label} vs Hugging Face`).toBeLessThan(TOLERANCE);
        }
      }
    }
    tf.dispose(ours);
  }
}

/**
 * Exports `model` (one graph, `onnx/model.onnx`) at each opset into `<tmp>/<architecture>-<opset>`,
 * checks that exporting allocates no tensor, that the graph has `inputs` and the keys of `outputs`
 * in order, then `layout` (files, ops, dims) and the runtimes' outputs (`expectRuntimesMatch`).
 */
export async function expectExportParity(args: {
  readonly model: Forward;
  readonly architecture: string;
  readonly registry: Registry;
  readonly tmp: string;
  readonly opsets: readonly number[];
  readonly runtimes: Partial<Record<Runtime, OrtModule>>;
  readonly inputs: readonly string[];
  readonly outputs: Readonly<Record<string, string | null>>;
  readonly batches: readonly ParityBatch[];
  readonly expected?: ReadonlyMap<string, tf.Tensor>;
  readonly exportOptions?: Omit<ExportOnnxOptions, 'registry' | 'opset'>;
  readonly layout?: (dir: string, graph: ReturnType<typeof decodeModel>, opset: number) => void;
}): Promise<void> {
  for (const opset of args.opsets) {
    const dir = path.join(args.tmp, `${args.architecture}-${opset}`);
    const before = tf.memory().numTensors;
    await exportOnnx(args.model, dir, { ...args.exportOptions, registry: args.registry, opset });
    expect(tf.memory().numTensors).toBe(before);
    const file = path.join(dir, 'onnx/model.onnx');
    const proto = decodeModel(fs.readFileSync(file));
    expect(proto.graph?.input?.map((i) => i.name)).toEqual(args.inputs);
    expect(proto.graph?.output?.map((o) => o.name)).toEqual(Object.keys(args.outputs));
    args.layout?.(dir, proto, opset);
    await expectRuntimesMatch({
      runtimes: args.runtimes, file, model: args.model, batches: args.batches, outputs: args.outputs, expected: args.expected,
      label: args.architecture, where: `opset ${opset}`,
    });
  }
}

/**
 * Exports `model` twice into fresh temporary folders, without and with past keys/values (copying
 * `copyFrom`'s tokenizer and configs beside), checking that exporting allocates no tensor. Remove
 * the folders with `fs.rmSync(dir, { recursive: true })` when done.
 */
export async function exportPlainAndPast(model: PretrainedModel, registry: Registry, label: string, copyFrom: string): Promise<Record<'plain' | 'past', string>> {
  const dirs = { plain: '', past: '' };
  const before = tf.memory().numTensors;
  for (const kind of ['plain', 'past'] as const) {
    dirs[kind] = fs.mkdtempSync(path.join(os.tmpdir(), `tfkit-${label}-onnx-${kind}-`));
    await exportOnnx(model, dirs[kind], { registry, withPast: kind === 'past', copyFrom });
  }
  // Exporting reads the weights and allocates no tensor.
  expect(tf.memory().numTensors).toBe(before);
  return dirs;
}
