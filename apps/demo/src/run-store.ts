/**
 * The saved state of an unfinished fine-tuning run, in IndexedDB (one run: the last one started),
 * written by the model worker every few steps so that a reload can resume it exactly: the request
 * that started it, every weight of the trained module and the optimizer's slots (safetensors
 * bytes), the Trainer's position (step, epoch, batch in epoch — the data order follows from the
 * seed and the epoch), the scheduler's step, the dropout generators' states and the loss curve.
 */
import type { RngState } from '@tfkit/core-tensor';
import type { OptimizerState, TrainerState } from '@tfkit/finetune';
import type { FinetuneRequest, SavedRunSummary } from './protocol.js';

export interface SavedRun {
  options: FinetuneRequest;
  /** Optimizer steps done when it was saved, and the run's total. */
  step: number;
  maxSteps: number;
  /** Training loss of every step up to `step`. */
  losses: number[];
  trainer: TrainerState;
  scheduler: { name: string; stepCount: number } | undefined;
  optimizer: OptimizerState['meta'];
  rng: Record<string, RngState>;
  /** The trained module's `stateDict` and the optimizer's tensors, as safetensors. */
  weights: Uint8Array;
  optimizerTensors: Uint8Array;
  savedAt: number;
}

const DB = 'tfkit-demo';
const STORE = 'runs';
const KEY = 'finetune';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB could not open (${request.error?.message ?? 'unknown error'}): the run cannot be saved for a reload`));
  });
}

async function transact<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'the transaction failed'}`));
      tx.onabort = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'the transaction was aborted'} (is the browser's storage full?)`));
    });
  } finally {
    db.close();
  }
}

export const saveRun = (run: SavedRun): Promise<unknown> => transact('readwrite', (s) => s.put(run, KEY));
export const loadRun = (): Promise<SavedRun | undefined> => transact('readonly', (s) => s.get(KEY) as IDBRequest<SavedRun | undefined>);
export const clearRun = (): Promise<unknown> => transact('readwrite', (s) => s.delete(KEY));

export function summarize(run: SavedRun): SavedRunSummary {
  return { step: run.step, maxSteps: run.maxSteps, losses: run.losses, method: run.options.method, savedAt: run.savedAt, options: run.options };
}
