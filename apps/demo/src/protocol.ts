/**
 * The messages between the page and the model worker (src/worker.ts). Every request carries an
 * `id`; the worker answers it with events of the same `id` and ends with `done` or `error`. All
 * model work (loading, generation, attention, fine-tuning, tokenizer training) runs in the worker.
 */
import type { BackendName } from './backend-names.js';
import type { FamilyTask } from './family-answer.js';

export interface GenerateRequest {
  prompt: string;
  maxNewTokens: number;
  repetitionPenalty: number;
  doSample: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** `tuned`: the model of the last fine-tuning run (its adapter active). */
  model: 'base' | 'tuned';
}

export interface FinetuneRequest {
  text: string;
  method: 'lora' | 'full';
  r: number;
  alpha: number;
  /** LoRA target modules (GPT-2 names: c_attn, c_proj, c_fc). */
  targets: string[];
  steps: number;
  learningRate: number;
  batchSize: number;
  /** Tokens per training example. */
  blockSize: number;
  seed: number;
  /** Text whose next-token logits are reported at the end (the page and the tests compare them). */
  probe: string;
  /** Save the run's state (IndexedDB) every this many steps, so that a reload can resume it; 0: never. */
  saveEvery: number;
}

/** An unfinished run saved in IndexedDB, as the page shows it (the weights stay in the worker). */
export interface SavedRunSummary {
  step: number;
  maxSteps: number;
  losses: number[];
  method: 'lora' | 'full';
  savedAt: number;
  options: FinetuneRequest;
}

/** The classifier run a reload interrupted, as the page shows it before resuming. */
export interface SavedClassifierRunSummary {
  step: number;
  maxSteps: number;
  losses: number[];
  evals: { step: number; accuracy: number; loss: number }[];
  savedAt: number;
  options: ClassifierRequest;
}

/** Text classification: LoRA on the tiny BERT (a new classifier head, trained and saved with the adapter). */
export interface ClassifierRequest {
  /** The model's folder URL (ends with `/`). */
  modelUrl: string;
  train: { text: string; label: string }[];
  eval: { text: string; label: string }[];
  /** Label names in class-id order. */
  labels: string[];
  r: number;
  alpha: number;
  /** LoRA target modules (BERT names: query, key, value, dense). */
  targets: string[];
  steps: number;
  learningRate: number;
  batchSize: number;
  /** Evaluate on the held-out examples every this many steps (and at the end). */
  evalEvery: number;
  seed: number;
  /** Save the run's state (IndexedDB) every this many steps, so that a reload can resume it; 0: never. */
  saveEvery: number;
}

export interface TokenizerTrainRequest {
  text: string;
  model: 'bpe' | 'wordpiece';
  vocabSize: number;
  /** Text encoded with the new tokenizer to show its tokens. */
  sample: string;
}

/** One task of the "Every family" view, run by that task's pipeline() on its embedded model. */
export interface FamilyRequest {
  task: FamilyTask;
  /** Fill-mask, NER and translation: the text; QA: the question. */
  text: string;
  /** QA: the context. */
  context?: string;
  /** Image classification: the image file's bytes (PNG or JPEG). */
  image?: Uint8Array;
  /** Translation: beams (1 = greedy). */
  numBeams?: number;
  /** The models' folder URL (ends with `/`). */
  modelsUrl: string;
  /** A model folder the user gave for this task (ends with `/`); the embedded model otherwise. */
  modelUrl?: string;
}

export type Request =
  /** `custom`: `baseUrl` is a model folder the user gave (not the site's embedded tiny GPT-2). */
  | { id: number; type: 'init'; backend: BackendName; baseUrl: string; custom?: boolean }
  | { id: number; type: 'generate'; options: GenerateRequest }
  | { id: number; type: 'attention'; ids: number[] }
  | { id: number; type: 'finetune'; options: FinetuneRequest }
  /** Continues the run saved in IndexedDB from its last saved step (its own options). */
  | { id: number; type: 'finetune-resume' }
  /** Asks for the saved unfinished run (answered by `saved-run`), or forgets it. */
  | { id: number; type: 'saved-run' | 'discard-run' }
  | { id: number; type: 'export'; what: 'adapter' | 'merged' | 'classifier-adapter' }
  | { id: number; type: 'classifier-train'; options: ClassifierRequest }
  /** Resumes the classifier run saved before a reload; asks for it (answered by `classifier-saved-run`), or forgets it. */
  | { id: number; type: 'classifier-resume' | 'classifier-saved-run' | 'classifier-discard-run' }
  /** The task-prompt GPT-2: `text` followed by the task token, greedy continuation (answered by `prompted`). */
  | { id: number; type: 'prompt'; task: 'to-fr' | 'summarize'; text: string; modelsUrl: string }
  /** BART's five noising schemes on `text` (answered by `noised`); `modelsUrl`: the models' folder. */
  | { id: number; type: 'noise'; text: string; seed: number; modelsUrl: string }
  /** Classifies texts with the last trained classifier (answered by `classified`). */
  | { id: number; type: 'classify-text'; texts: string[] }
  | { id: number; type: 'train-tokenizer'; options: TokenizerTrainRequest }
  | { id: number; type: 'family'; options: FamilyRequest }
  /** Control messages act on the running request at once (between two tokens or steps). */
  | { id: number; type: 'stop' | 'pause' | 'resume' };

export interface FileOut {
  name: string;
  bytes: Uint8Array;
}

export type Event =
  | { id: number; type: 'progress'; file: string; loaded: number; total: number | undefined; done: boolean }
  | { id: number; type: 'ready'; backend: string; notes: string[]; cached: boolean }
  | { id: number; type: 'token'; text: string; count: number }
  | { id: number; type: 'generated'; ids: number[]; prefixLength: number; count: number; ms: number; stopReason: string; backend: string }
  | { id: number; type: 'attention'; tokens: string[]; maps: Float32Array[][] }
  /** `resumedAt`: the saved step a resumed run continues from (0 for a new run), `losses` its curve so far. */
  | { id: number; type: 'train-begin'; maxSteps: number; trainable: number; total: number; examples: number; backend: string; resumedAt: number; losses: number[] }
  /** The run's state is saved (IndexedDB) after `step`. */
  | { id: number; type: 'train-saved'; step: number }
  | { id: number; type: 'saved-run'; run: SavedRunSummary | undefined }
  | { id: number; type: 'classifier-saved-run'; run: SavedClassifierRunSummary | undefined }
  /** Held-out accuracy and loss after `step`. */
  | { id: number; type: 'train-eval'; step: number; accuracy: number; loss: number }
  | { id: number; type: 'prompted'; prompt: string; promptIds: number[]; ids: number[]; text: string; ms: number; backend: string }
  /** The sentence's tokens, and each scheme's noised tokens and their decoded text. */
  | { id: number; type: 'noised'; tokens: string[]; ids: number[]; schemes: { name: string; ids: number[]; tokens: string[]; text: string }[] }
  /** Logits (one row per text, class-id order) of the classifier. */
  | { id: number; type: 'classified'; logits: number[][]; labels: string[] }
  | { id: number; type: 'train-step'; step: number; maxSteps: number; loss: number; seconds: number }
  /** The run holds after `step` until `resume` (or `stop`). */
  | { id: number; type: 'train-paused'; step: number }
  | { id: number; type: 'train-end'; steps: number; stopped: boolean; losses: number[]; probeIds: number[]; probeLogits: number[] }
  | { id: number; type: 'files'; files: FileOut[] }
  | { id: number; type: 'tokenizer'; json: string; vocabSize: number; merges: string[]; tokens: string[]; ids: number[] }
  /** ViT: the patch grid (`side` × `side` patches) and, per layer and head, the attention of [CLS] over the patches (row-major). */
  | { id: number; type: 'vit-attention'; side: number; patchSize: number; maps: number[][][] }
  /**
   * Translation: the decoder's cross-attention over the source tokens while it produced each target
   * token (a teacher-forced pass over the generated ids), per layer and head, row-major [target][source].
   */
  | { id: number; type: 'cross-attention'; source: string[]; target: string[]; maps: number[][][] }
  /** The pipeline's answer (structured-cloned), and whether the model was loaded for it. */
  | { id: number; type: 'family-result'; task: FamilyTask; result: unknown; ms: number; loaded: boolean; backend: string }
  | { id: number; type: 'done' }
  /** `file`: the missing or broken file, when the error is about one; `fix`: what the user can do. */
  | { id: number; type: 'error'; message: string; file?: string; fix?: string };
