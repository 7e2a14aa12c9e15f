/**
 * Training checkpoints: everything needed to continue a run exactly — all weights, the optimizer's
 * slots, the scheduler's position, every random generator's state and the data position. A
 * checkpoint is assembled in a temporary directory and renamed into place, so a crash leaves
 * either the previous checkpoint or the new one, never a half-written one; a failed save removes
 * its temporary directory, and the next run removes any that a killed process left.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, Random, safetensorsToTensors, tensorsToSafetensors, writeFileAtomic, CheckpointError, type RngState } from '@tfkit/core-tensor';
import type { Module } from '@tfkit/layers';
import { CheckpointSaveError } from '../errors.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { TrainerState } from './state.js';

export const TRAINER_STATE = 'trainer_state.json';
export const MODEL_WEIGHTS = 'model.safetensors';
export const OPTIMIZER_WEIGHTS = 'optimizer.safetensors';
/** Tensors of stateful callbacks (SWA's running average), named `<stateKey>/<name>`. */
export const CALLBACK_WEIGHTS = 'callbacks.safetensors';

export interface TrainingCheckpoint {
  state: TrainerState;
  scheduler: { name: string; stepCount: number } | undefined;
  optimizer: OptimizerState['meta'];
  /** Generator states of the modules that own one (dropout), by module name. */
  rng: Record<string, RngState>;
  /** Metadata of stateful callbacks, by their `stateKey`. */
  callbacks?: Record<string, Record<string, unknown>>;
}

/** Modules holding a `Random` in an `rng` attribute (Dropout and friends), by dotted name. */
export function moduleGenerators(model: Module): [string, Random][] {
  const out: [string, Random][] = [];
  for (const [name, mod] of model.namedModules()) {
    const rng = (mod as unknown as { rng?: unknown }).rng;
    if (rng instanceof Random) out.push([name, rng]);
  }
  return out;
}

/**
 * Writes a checkpoint to `dir` through a temporary sibling folder. Any failure (disk full, no
 * permission) removes the temporary folder, leaves an existing `dir` as it was, and raises a
 * `CheckpointSaveError` naming `dir`.
 */
export async function saveTrainingCheckpoint(
  dir: string,
  parts: { model: Module; optimizerState: OptimizerState; checkpoint: TrainingCheckpoint; callbackTensors?: Map<string, tf.Tensor> },
): Promise<void> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  const temp = `${path.join(path.dirname(dir), `.${path.basename(dir)}`)}.${process.pid}.tmp`;
  const old = `${temp}.old`;
  let moved = false;
  try {
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await fs.rm(temp, { recursive: true, force: true });
    await fs.mkdir(temp);
    const weights = parts.model.stateDict({ includeAliases: false });
    try {
      await fs.writeFile(path.join(temp, MODEL_WEIGHTS), await tensorsToSafetensors(weights, { format: 'tfkit' }));
      await fs.writeFile(path.join(temp, OPTIMIZER_WEIGHTS), await tensorsToSafetensors(parts.optimizerState.tensors, { format: 'tfkit' }));
      if (parts.callbackTensors?.size) await fs.writeFile(path.join(temp, CALLBACK_WEIGHTS), await tensorsToSafetensors(parts.callbackTensors, { format: 'tfkit' }));
      await writeFileAtomic(path.join(temp, TRAINER_STATE), `${JSON.stringify(parts.checkpoint, null, 2)}\n`);
    } finally {
      for (const t of weights.values()) t.dispose();
    }
    // Swap the complete directory into place; an older checkpoint of the same name is removed only
    // after the new one is there.
    const exists = await fs.stat(dir).then(() => true, () => false);
    if (exists) {
      await fs.rm(old, { recursive: true, force: true });
      await fs.rename(dir, old);
      moved = true;
    }
    await fs.rename(temp, dir);
    moved = false;
    if (exists) await fs.rm(old, { recursive: true, force: true });
  } catch (cause) {
    if (moved) await fs.rename(old, dir).catch(() => undefined);
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw new CheckpointSaveError(dir, cause);
  }
}

/**
 * Removes what interrupted saves left in `outputDir`: `.checkpoint-<step>.<pid>.tmp` folders of
 * processes that are gone (or of this one), and — should a crash have hit between the two renames
 * of a save — puts a `….tmp.old` folder back as `checkpoint-<step>` when that is missing.
 * Returns the paths removed.
 */
export async function removeStaleCheckpointTemps(outputDir: string): Promise<string[]> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  const names = await fs.readdir(outputDir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = /^\.(checkpoint-\d+)\.(\d+)\.tmp(\.old)?$/.exec(name);
    if (!m) continue;
    const [, target, pid, isOld] = m as unknown as [string, string, string, string | undefined];
    if (Number(pid) !== process.pid && processAlive(Number(pid))) continue; // another run is saving right now
    const full = path.join(outputDir, name);
    if (isOld && !(await fs.stat(path.join(outputDir, target)).then(() => true, () => false))) {
      await fs.rename(full, path.join(outputDir, target));
      continue;
    }
    await fs.rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

export interface LoadedCheckpoint {
  weights: Map<string, tf.Tensor>;
  optimizerTensors: Map<string, tf.Tensor>;
  /** Empty when the run had no stateful callback. */
  callbackTensors: Map<string, tf.Tensor>;
  checkpoint: TrainingCheckpoint;
}

/** Reads a checkpoint written by `saveTrainingCheckpoint`; the caller disposes the tensors. */
export async function loadTrainingCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  const read = async (name: string) => {
    try {
      return await fs.readFile(path.join(dir, name));
    } catch (cause) {
      throw new CheckpointError(`${dir}: cannot read ${name} (${(cause as Error).message}); is this a checkpoint written by the Trainer?`, { cause });
    }
  };
  let checkpoint: TrainingCheckpoint;
  try {
    checkpoint = JSON.parse((await read(TRAINER_STATE)).toString('utf8')) as TrainingCheckpoint;
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError(`${path.join(dir, TRAINER_STATE)}: not valid JSON`, { cause });
  }
  const weights = safetensorsToTensors(new Uint8Array(await read(MODEL_WEIGHTS)), path.join(dir, MODEL_WEIGHTS)).tensors;
  const optimizerTensors = safetensorsToTensors(new Uint8Array(await read(OPTIMIZER_WEIGHTS)), path.join(dir, OPTIMIZER_WEIGHTS)).tensors;
  const hasCallbackTensors = await fs.stat(path.join(dir, CALLBACK_WEIGHTS)).then(() => true, () => false);
  const callbackTensors = hasCallbackTensors
    ? safetensorsToTensors(new Uint8Array(await read(CALLBACK_WEIGHTS)), path.join(dir, CALLBACK_WEIGHTS)).tensors
    : new Map<string, tf.Tensor>();
  return { weights, optimizerTensors, callbackTensors, checkpoint };
}

/** `checkpoint-<step>` directories in `outputDir`, oldest first. */
export async function listCheckpoints(outputDir: string): Promise<{ step: number; dir: string }[]> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  const names = await fs.readdir(outputDir).catch(() => [] as string[]);
  return names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: path.join(outputDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}
