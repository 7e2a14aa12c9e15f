/**
 * The saved state of an unfinished training run, in IndexedDB (one run of each kind — GPT-2
 * fine-tuning, the text classifier — the last one started),
 * written by the model worker every few steps so that a reload can resume it exactly: the request
 * that started it, every weight of the trained module and the optimizer's slots (safetensors
 * bytes), the Trainer's position (step, epoch, batch in epoch — the data order follows from the
 * seed and the epoch), the scheduler's step, the dropout generators' states and the loss curve.
 */
import type { RngState } from '@tfkit/core-tensor';
import type { OptimizerState, TrainerState } from '@tfkit/finetune';
import type { ClassifierRequest, FinetuneRequest, SavedClassifierRunSummary, SavedRunSummary } from './protocol.js';

/** Which view's run: GPT-2 fine-tuning or the BERT text classifier. */
export type RunKind = 'finetune' | 'classifier';

export interface SavedRun<O = FinetuneRequest> {
  options: O;
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
  /** The classifier's held-out evaluations up to `step`. */
  evals?: { step: number; accuracy: number; loss: number }[];
}

const DB = 'tfkit-demo';
const STORE = 'runs';

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

export const saveRun = <O>(run: SavedRun<O>, kind: RunKind = 'finetune'): Promise<unknown> => transact('readwrite', (s) => s.put(run, kind));
export const loadRun = <O = FinetuneRequest>(kind: RunKind = 'finetune'): Promise<SavedRun<O> | undefined> =>
  transact('readonly', (s) => s.get(kind) as IDBRequest<SavedRun<O> | undefined>);
export const clearRun = (kind: RunKind = 'finetune'): Promise<unknown> => transact('readwrite', (s) => s.delete(kind));

export function summarize(run: SavedRun): SavedRunSummary {
  return { step: run.step, maxSteps: run.maxSteps, losses: run.losses, method: run.options.method, savedAt: run.savedAt, options: run.options };
}

export function summarizeClassifier(run: SavedRun<ClassifierRequest>): SavedClassifierRunSummary {
  return { step: run.step, maxSteps: run.maxSteps, losses: run.losses, evals: run.evals ?? [], savedAt: run.savedAt, options: run.options };
}
