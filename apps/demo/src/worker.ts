/**
 * The model worker: every piece of model work of the page runs here — loading the tiny GPT-2 onto
 * the chosen backend, generation (streamed token by token), attention maps, LoRA or full
 * fine-tuning with @tfkit/finetune's Trainer, exporting the adapter (PEFT's files) or the merged
 * checkpoint, and tokenizer training. The page stays responsive; `stop` aborts a generation
 * between two tokens and a training run between two steps, `pause`/`resume` hold a run between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRegistry, decodeImage, pipeline, Random, safetensorsToTensors, tensorsToSafetensors, type BackendActivation } from '@tfkit/core-tensor';
import { BertForSequenceClassification, registerBert } from '@tfkit/models-bert';
import { registerBart } from '@tfkit/models-bart';
import { registerViT } from '@tfkit/models-vit';
import { registerCpuBackend, registerWasmBackend, registerWebglBackend, useBackend } from '@tfkit/backends';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { generate as generateIds, generateStream, registerGeneration, TextStreamer } from '@tfkit/generation';
import { registerTokenizers, Tokenizer, type TokenizerConfigJson, type TokenizerJson } from '@tfkit/tokenizers';
import { trainTokenizer } from '@tfkit/tokenizers/train';
import { adapterStateDict, classificationMetrics, DataCollatorForCausalLM, DataCollatorWithPadding, Dataset, LoraLinear, LoraModel, toPeftConfig, Trainer, ADAPTER_CONFIG, ADAPTER_WEIGHTS, type TrainerState } from '@tfkit/finetune';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { FAMILY_OPTIONS, FAMILY_TASKS, type FamilyTask } from './family-answer.js';
import type { ClassifierRequest, Event, FamilyRequest, FileOut, FinetuneRequest, GenerateRequest, Request, TokenizerTrainRequest } from './protocol.js';
import { customFileFix, MODEL_FILES, missingFileFix, REQUIRED_FILES, trainingExamples } from './worker-util.js';
import { NOISE_SCHEMES, noiseAll } from './noising.js';
import { clearRun, loadRun, saveRun, summarize, summarizeClassifier, type RunKind, type SavedRun } from './run-store.js';

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': plainWasm,
  'tfjs-backend-wasm-simd.wasm': simdWasm,
  'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
};

const registry = createRegistry();
registerWasmBackend(registry);
registerWebglBackend(registry);
registerCpuBackend(registry);
// The "Every family" view runs the same pipeline() users call, so the registry knows those families.
registerTokenizers(registry);
registerGeneration(registry);
registerBert(registry);
registerBart(registry);
registerViT(registry);

let baseUrl = '';
let activation: BackendActivation | undefined;
let model: GPT2LMHeadModel | undefined;
let tokenizer: Tokenizer | undefined;
/** The last fine-tuning run: its model, and the LoRA wrapper when it used LoRA. */
let tuned: { model: GPT2LMHeadModel; lora: LoraModel | undefined } | undefined;
/** The request that `stop` / `pause` / `resume` act on. */
let running: { id: number; abort: AbortController; paused: boolean; resume?: () => void } | undefined;
/** Requests waiting in the queue, and those of them stopped before they started (they start aborted). */
const queued = new Set<number>();
const stoppedWhileQueued = new Set<number>();

const post = (event: Event, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(event, transfer);

/** A typed error for the page: the file that is missing, and how to get it back. */
class MissingFileError extends Error {
  constructor(readonly file: string, readonly fix: string, status: string) {
    super(`${file} could not be loaded (${status})`);
  }
}

/** Whether `baseUrl` is a model folder the user gave (errors then name its URL and how to fix it). */
let custom = false;

function missing(name: string, status: string): MissingFileError {
  return custom ? new MissingFileError(`${baseUrl}${name}`, customFileFix(baseUrl), status) : new MissingFileError(`models/tiny-gpt2/${name}`, missingFileFix(name), status);
}

async function checkFiles(): Promise<void> {
  for (const name of custom ? REQUIRED_FILES : MODEL_FILES) {
    const response = await fetch(`${baseUrl}${name}`, { method: 'HEAD' }).catch((e: unknown) => ({ ok: false, status: `${String(e)}; is the server up, and does it allow cross-origin requests?` }) as const);
    if (!response.ok) throw missing(name, typeof response.status === 'number' ? `HTTP ${response.status}` : response.status);
  }
}

async function fetchJson<T>(name: string, optional = false): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${name}`);
  } catch (error) {
    throw missing(name, `${error instanceof Error ? error.message : String(error)}; is the server up, and does it allow cross-origin requests?`);
  }
  if (response.status === 404 && optional) return undefined;
  if (!response.ok) throw missing(name, `HTTP ${response.status}`);
  try {
    return (await response.json()) as T;
  } catch {
    throw missing(name, 'not valid JSON');
  }
}

async function cachedWeights(): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const keys = await (await caches.open('tfkit')).keys();
  return keys.some((r) => r.url.endsWith('model.safetensors'));
}

async function init(id: number, backend: string, url: string, isCustom: boolean): Promise<void> {
  if (url !== baseUrl) tokenizer = undefined;
  baseUrl = url;
  custom = isCustom;
  disposeFamily(); // their weights live on the backend being left
  disposeClassifier();
  prompted?.model.dispose();
  prompted = undefined;
  const previous = activation?.backend;
  model?.dispose();
  model = undefined;
  tuned?.model.dispose();
  tuned = undefined;
  try {
    activation = await useBackend(registry, backend, { wasmPaths: WASM_PATHS });
  } catch (error) {
    // Back on the backend that ran before (the page says so and keeps working), then the error.
    if (previous !== undefined && previous !== backend) {
      activation = await useBackend(registry, previous, { wasmPaths: WASM_PATHS });
      model = await GPT2LMHeadModel.fromPretrained(baseUrl);
      post({ id, type: 'ready', backend: activation.backend, notes: activation.notes, cached: await cachedWeights() });
    }
    throw error;
  }
  if (custom) {
    // This page generates and fine-tunes with GPT-2: say so before loading anything else.
    const config = await fetchJson<{ model_type?: string }>('config.json');
    if (config?.model_type !== 'gpt2') {
      throw new Error(`${baseUrl}config.json says model_type ${JSON.stringify(config?.model_type)}: this page generates and fine-tunes GPT-2 checkpoints (model_type "gpt2"); other families run in "Every family"`);
    }
  }
  // A user's folder may have no tokenizer_config.json.
  tokenizer ??= Tokenizer.fromJSON((await fetchJson<TokenizerJson>('tokenizer.json'))!, await fetchJson<TokenizerConfigJson>('tokenizer_config.json', custom));
  const cached = await cachedWeights();
  try {
    model = await GPT2LMHeadModel.fromPretrained(baseUrl, {
      onProgress: ({ file, loaded, total, done }) => post({ id, type: 'progress', file, loaded, total, done }),
    });
  } catch (error) {
    await checkFiles(); // names the missing file when that is the cause
    throw error;
  }
  post({ id, type: 'ready', backend: activation.backend, notes: activation.notes, cached });
}

async function generate(id: number, o: GenerateRequest, signal: AbortSignal): Promise<void> {
  const target = o.model === 'tuned' ? tuned?.model : model;
  if (!target || !tokenizer) throw new Error(o.model === 'tuned' ? 'no fine-tuned model yet: train one first' : 'the model is not loaded yet');
  const ids = tokenizer.encode(o.prompt, { addSpecialTokens: false }).ids;
  const limit = target.config.nPositions;
  const room = limit - Math.max(ids.length, 1);
  if (room <= 0) throw new Error(`The prompt is ${ids.length} tokens; this model reads at most ${limit}.`);
  const maxNewTokens = Math.min(o.maxNewTokens, room);
  let count = 0;
  const streamer = new TextStreamer(tokenizer, { onText: (text) => text && post({ id, type: 'token', text, count }) });
  const started = performance.now();
  const sampling = o.doSample ? { temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed } : {};
  const stream = generateStream(target, [ids], { maxNewTokens, repetitionPenalty: o.repetitionPenalty, doSample: o.doSample, ...sampling, signal, streamer });
  try {
    for (;;) {
      const next = await stream.next();
      if (next.done) {
        const out = next.value;
        post({ id, type: 'generated', ids: out.sequences[0]!, prefixLength: out.prefixLength, count, ms: performance.now() - started, stopReason: out.stopReason, backend: activation?.backend ?? '?' });
        return;
      }
      count++;
    }
  } finally {
    await stream.return(undefined as never);
  }
}

async function attention(id: number, ids: number[]): Promise<void> {
  if (!model || !tokenizer) throw new Error('the model is not loaded yet');
  const out = model.forward({ inputIds: [ids], outputAttentions: true });
  try {
    const layers = out.attentions ?? [];
    const data = await Promise.all(layers.map((a) => a.data() as Promise<Float32Array>));
    const t = ids.length;
    const maps = data.map((d, l) => Array.from({ length: layers[l]!.shape[1] }, (_, h) => d.slice(h * t * t, (h + 1) * t * t)));
    const tok = tokenizer;
    post({ id, type: 'attention', tokens: ids.map((i) => tok.idToToken(i) ?? `#${i}`), maps }, maps.flat().map((m) => m.buffer));
  } finally {
    tf.dispose(out as unknown as tf.TensorContainer);
  }
}

/** Next-token logits of `ids` (last position) from `m`. */
async function lastLogits(m: GPT2LMHeadModel, ids: number[]): Promise<number[]> {
  const out = m.forward({ inputIds: [ids] });
  try {
    const last = tf.tidy(() => tf.reshape(tf.slice(out.logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]));
    const values = Array.from(await last.data(), Number);
    last.dispose();
    return values;
  } finally {
    tf.dispose(out as unknown as tf.TensorContainer);
  }
}

/** What a saved run needs of a model: its modules by name. */
interface NamedModules {
  namedModules(): [string, object][];
}

/** Modules holding a seeded generator (dropout), by name: their states are part of a saved run. */
function generators(m: NamedModules): [string, Random][] {
  const out: [string, Random][] = [];
  for (const [name, mod] of m.namedModules()) {
    const rng = (mod as unknown as { rng?: unknown }).rng;
    if (rng instanceof Random) out.push([name, rng]);
  }
  return out;
}

/** Writes the run's state at the end of a step (the Trainer's own checkpoint, in IndexedDB instead of files). */
async function saveState<T, O>(trainer: Trainer<T>, m: NamedModules, o: O, losses: number[], kind: RunKind = 'finetune', evals?: SavedRun['evals']): Promise<void> {
  const weights = trainer.model.stateDict({ includeAliases: false });
  const optimizerState = trainer.optimizer.stateDict();
  try {
    const state = trainer.state;
    await saveRun({
      options: o,
      step: state.globalStep,
      maxSteps: state.maxSteps,
      losses: [...losses],
      trainer: { ...state, logHistory: [...state.logHistory], shouldStop: false },
      scheduler: trainer.lrScheduler?.stateDict(),
      optimizer: optimizerState.meta,
      rng: Object.fromEntries(generators(m).map(([name, rng]) => [name, rng.getState()])),
      weights: await tensorsToSafetensors(weights, { format: 'tfkit' }),
      optimizerTensors: await tensorsToSafetensors(optimizerState.tensors, { format: 'tfkit' }),
      savedAt: Date.now(),
      ...(evals ? { evals: [...evals] } : {}),
    }, kind);
  } finally {
    for (const t of [...weights.values(), ...optimizerState.tensors.values()]) t.dispose();
  }
}

/** Puts a saved run's state into a Trainer that is about to start (its `onTrainBegin`). */
function restoreState<T, O>(trainer: Trainer<T>, m: NamedModules, state: TrainerState, saved: SavedRun<O>): void {
  const weights = safetensorsToTensors(saved.weights, 'the saved run (IndexedDB): weights').tensors;
  const slots = safetensorsToTensors(saved.optimizerTensors, 'the saved run (IndexedDB): optimizer').tensors;
  try {
    trainer.model.loadStateDict(weights, { where: 'the saved run (IndexedDB)' });
    trainer.optimizer.loadStateDict({ tensors: slots, meta: saved.optimizer });
    if (saved.scheduler) trainer.lrScheduler?.loadStateDict(saved.scheduler);
    for (const [name, rng] of generators(m)) {
      const s = saved.rng[name];
      if (s) rng.setState(s);
    }
    // The Trainer's loop holds this very object: update it in place.
    Object.assign(state, saved.trainer, { maxSteps: state.maxSteps, shouldStop: false });
  } finally {
    for (const t of [...weights.values(), ...slots.values()]) t.dispose();
  }
}

/**
 * End of a training step: lets a pause or stop sent during the step arrive before the next one
 * starts, holds the run while it is paused, and ends the loop after a stop.
 */
async function betweenSteps(id: number, control: NonNullable<typeof running>, state: TrainerState): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (control.paused && !control.abort.signal.aborted) {
    post({ id, type: 'train-paused', step: state.globalStep });
    await new Promise<void>((resolve) => (control.resume = resolve));
  }
  if (control.abort.signal.aborted) state.shouldStop = true;
}

async function finetune(id: number, request: FinetuneRequest | 'resume'): Promise<void> {
  if (!tokenizer || !activation) throw new Error('the model is not loaded yet');
  const saved = request === 'resume' ? await loadRun() : undefined;
  if (request === 'resume' && !saved) throw new Error('there is no saved run to resume (it finished, or was discarded)');
  const o = saved ? saved.options : (request as FinetuneRequest);
  tuned?.model.dispose();
  tuned = undefined;
  // A new run replaces any saved one.
  if (!saved) await clearRun().catch(() => undefined);
  // A model of its own: the base model keeps its weights for comparison.
  const m = await GPT2LMHeadModel.fromPretrained(baseUrl);
  const lora = o.method === 'lora'
    ? LoraModel.apply(m, { r: o.r, loraAlpha: o.alpha, targetModules: o.targets, seed: o.seed, baseModelNameOrPath: 'tfkit/tiny-gpt2', taskType: 'CAUSAL_LM' })
    : undefined;
  tuned = { model: m, lora };
  const eosIds = m.config.eosTokenId;
  const eos = (Array.isArray(eosIds) ? eosIds[0] : eosIds) ?? 0;
  const examples = trainingExamples(o.text, (t) => tokenizer!.encode(t, { addSpecialTokens: false }).ids.length, o.blockSize);
  if (examples.length === 0) throw new Error('no training text: paste some text (at least a few words) or use the sample');
  const collator = new DataCollatorForCausalLM({ tokenizer, padTokenId: eos, eosTokenId: eos, maxLength: o.blockSize });
  const losses: number[] = saved ? [...saved.losses] : [];
  const control = running!;
  const counts = lora ? lora.trainableParameters() : { trainable: m.parameterCount({ trainableOnly: true }), total: m.parameterCount() };
  const trainer: Trainer<{ text: string }> = new Trainer({
    model: lora ?? m,
    trainDataset: Dataset.fromArray(examples.map((text) => ({ text }))),
    collator: collator.collate,
    learningRate: o.learningRate,
    scheduler: 'constant',
    maxSteps: o.steps,
    batchSize: o.batchSize,
    seed: o.seed,
    logEvery: 1,
    callbacks: [
      {
        onTrainBegin: (state) => {
          if (saved) restoreState(trainer, m, state, saved);
          post({ id, type: 'train-begin', maxSteps: o.steps, trainable: counts.trainable, total: counts.total, examples: examples.length, backend: activation!.backend, resumedAt: state.globalStep, losses: [...losses] });
        },
        onStepEnd: async (state, step) => {
          losses.push(step.loss);
          post({ id, type: 'train-step', step: state.globalStep, maxSteps: state.maxSteps, loss: step.loss, seconds: step.seconds });
          if (o.saveEvery > 0 && state.globalStep % o.saveEvery === 0 && state.globalStep < state.maxSteps) {
            await saveState(trainer, m, o, losses);
            post({ id, type: 'train-saved', step: state.globalStep });
          }
          await betweenSteps(id, control, state);
        },
      },
    ],
  });
  const result = await trainer.train();
  trainer.optimizer.dispose?.();
  // Finished or stopped: nothing left to resume.
  await clearRun().catch(() => undefined);
  const probeIds = tokenizer.encode(o.probe, { addSpecialTokens: false }).ids;
  const probeLogits = await lastLogits(m, probeIds);
  post({ id, type: 'train-end', steps: result.globalStep, stopped: control.abort.signal.aborted, losses, probeIds, probeLogits });
}

/** The last text classifier trained: the tiny BERT with its LoRA adapter, its tokenizer and labels. */
let tunedClassifier: { model: BertForSequenceClassification; lora: LoraModel; tokenizer: Tokenizer; labels: string[] } | undefined;

function disposeClassifier(): void {
  tunedClassifier?.model.dispose();
  tunedClassifier = undefined;
}

/** LoRA on the tiny BERT for text classification: a fresh classifier head (saved with the adapter), held-out accuracy live. */
async function trainClassifier(id: number, request: ClassifierRequest | 'resume'): Promise<void> {
  if (!activation) throw new Error('the model is not loaded yet');
  const saved = request === 'resume' ? await loadRun<ClassifierRequest>('classifier') : undefined;
  if (request === 'resume' && !saved) throw new Error('there is no saved classifier run to resume (it finished, or was discarded)');
  const o = saved ? saved.options : (request as ClassifierRequest);
  // A new run replaces any saved one.
  if (!saved) await clearRun('classifier').catch(() => undefined);
  disposeClassifier();
  if (o.train.length === 0) throw new Error('no training examples: paste labelled data or use the sample');
  const onProgress = ({ file, loaded, total, done }: { file: string; loaded: number; total: number | undefined; done: boolean }) => post({ id, type: 'progress', file, loaded, total, done });
  const tok = await Tokenizer.fromPretrained(o.modelUrl);
  const id2label = Object.fromEntries(o.labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(o.labels.map((l, i) => [l, i]));
  const m = await BertForSequenceClassification.fromPretrained(o.modelUrl, { configOverrides: { id2label, label2id }, onProgress });
  const lora = LoraModel.apply(m, { r: o.r, loraAlpha: o.alpha, targetModules: o.targets, modulesToSave: ['classifier'], seed: o.seed, baseModelNameOrPath: 'tfkit/tiny-bert', taskType: 'SEQ_CLS' });
  tunedClassifier = { model: m, lora, tokenizer: tok, labels: o.labels };
  const collator = new DataCollatorWithPadding<{ text: string; label: string }>({ tokenizer: tok, padTokenId: m.config.padTokenId ?? 0, maxLength: 64, labelToId: (label) => o.labels.indexOf(String(label)) });
  const losses: number[] = saved ? [...saved.losses] : [];
  const evals: NonNullable<SavedRun['evals']> = saved?.evals ? [...saved.evals] : [];
  const control = running!;
  const counts = lora.trainableParameters();
  const evaluates = (step: number) => o.eval.length > 0 && step % o.evalEvery === 0;
  const saveIfDue = async (state: TrainerState) => {
    if (o.saveEvery > 0 && state.globalStep % o.saveEvery === 0 && state.globalStep < state.maxSteps) {
      await saveState(trainer, m, o, losses, 'classifier', evals);
      post({ id, type: 'train-saved', step: state.globalStep });
    }
  };
  const trainer: Trainer<{ text: string; label: string }> = new Trainer({
    model: lora,
    trainDataset: Dataset.fromArray(o.train),
    evalDataset: o.eval.length ? Dataset.fromArray(o.eval) : undefined,
    collator: collator.collate,
    learningRate: o.learningRate,
    scheduler: 'constant',
    maxSteps: o.steps,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    seed: o.seed,
    logEvery: 1,
    metrics: classificationMetrics(),
    callbacks: [
      {
        onTrainBegin: (state) => {
          if (saved) restoreState(trainer, m, state, saved);
          post({ id, type: 'train-begin', maxSteps: o.steps, trainable: counts.trainable, total: counts.total, examples: o.train.length, backend: activation!.backend, resumedAt: state.globalStep, losses: [...losses] });
        },
        onStepEnd: async (state, step) => {
          losses.push(step.loss);
          post({ id, type: 'train-step', step: state.globalStep, maxSteps: state.maxSteps, loss: step.loss, seconds: step.seconds });
          // A step that is evaluated is saved after its evaluation (the Trainer evaluates after onStepEnd).
          if (!evaluates(state.globalStep)) await saveIfDue(state);
          await betweenSteps(id, control, state);
        },
        onEvaluate: async (state, metrics) => {
          const entry = { step: state.globalStep, accuracy: metrics['eval_accuracy'] ?? NaN, loss: metrics['eval_loss'] ?? NaN };
          evals.push(entry);
          post({ id, type: 'train-eval', ...entry });
          await saveIfDue(state);
        },
      },
    ],
  });
  const result = await trainer.train();
  // The last step's accuracy, unless the loop just evaluated it.
  if (o.eval.length && result.globalStep % o.evalEvery !== 0) await trainer.evaluate();
  trainer.optimizer.dispose?.();
  // Finished or stopped: nothing left to resume.
  await clearRun('classifier').catch(() => undefined);
  m.eval();
  post({ id, type: 'train-end', steps: result.globalStep, stopped: control.abort.signal.aborted, losses, probeIds: [], probeLogits: [] });
}

/** Logits of each text (one at a time, no padding) from the last trained classifier. */
async function classifyTexts(id: number, texts: string[]): Promise<void> {
  if (!tunedClassifier) throw new Error('no classifier trained yet: train one first');
  const { model: m, tokenizer: tok, labels } = tunedClassifier;
  const logits: number[][] = [];
  for (const text of texts) {
    const ids = tok.encode(text).ids;
    const input = tf.tensor2d([ids], [1, ids.length], 'int32');
    const out = m.forward({ inputIds: input });
    try {
      logits.push(Array.from(await out.logits.data(), Number));
    } finally {
      tf.dispose([input, out as unknown as tf.TensorContainer]);
    }
  }
  post({ id, type: 'classified', logits, labels });
}

/** PEFT's two files for an adapter: adapter_model.safetensors and adapter_config.json. */
async function adapterFiles(lora: LoraModel): Promise<FileOut[]> {
  // PEFT's fan_in_fan_out: GPT-2's Conv1D stores its weight as [in, out].
  const fanInFanOut = lora.loraLayers().some(([, l]) => l instanceof LoraLinear && l.base_layer.weight.layout === 'same');
  const tensors = adapterStateDict(lora);
  let weights: Uint8Array;
  try {
    weights = await tensorsToSafetensors(tensors, { format: 'pt' });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  const config = new TextEncoder().encode(`${JSON.stringify(toPeftConfig(lora.config(), fanInFanOut), null, 2)}\n`);
  return [{ name: ADAPTER_WEIGHTS, bytes: weights }, { name: ADAPTER_CONFIG, bytes: config }];
}

async function exportFiles(id: number, what: 'adapter' | 'merged' | 'classifier-adapter'): Promise<void> {
  const files: FileOut[] = [];
  if (what === 'classifier-adapter') {
    if (!tunedClassifier) throw new Error('no classifier trained yet: train one first');
    files.push(...(await adapterFiles(tunedClassifier.lora)));
  } else if (what === 'adapter') {
    const lora = tuned?.lora;
    if (!tuned) throw new Error('no fine-tuned model yet: train one first');
    if (!lora) throw new Error('the last run was full fine-tuning: it has no adapter; download the merged checkpoint instead');
    files.push(...(await adapterFiles(lora)));
  } else {
    if (!tuned) throw new Error('no fine-tuned model yet: train one first');
    // Merged: the adapter folded into the weights (a copy, so the run can still be tried and exported).
    if (tuned.lora) tuned.lora.merge();
    const all = tuned.model.stateDict({ includeAliases: false });
    // Under the plain model's names: `….c_attn.base_layer.weight` → `….c_attn.weight`, the A/B matrices left out.
    const weights = new Map([...all].filter(([name]) => !/\.lora_(?:A|B|embedding_A|embedding_B)\./.test(`${name}.`)).map(([name, t]) => [name.replace('.base_layer.', '.'), t]));
    try {
      files.push({ name: 'model.safetensors', bytes: await tensorsToSafetensors(weights, { format: 'pt' }) });
    } finally {
      for (const t of all.values()) t.dispose();
      if (tuned.lora) tuned.lora.unmerge();
    }
    const config = await (await fetch(`${baseUrl}config.json`)).arrayBuffer();
    files.push({ name: 'config.json', bytes: new Uint8Array(config) });
  }
  post({ id, type: 'files', files }, files.map((f) => f.bytes.buffer));
}

async function trainTok(id: number, o: TokenizerTrainRequest): Promise<void> {
  const tok = await trainTokenizer({ model: o.model, vocabSize: o.vocabSize, minFrequency: 2 }, o.text);
  const json = tok.toJSON();
  const modelJson = json.model as { merges?: unknown[]; vocab?: Record<string, number> };
  const merges = (modelJson.merges ?? []).slice(0, 200).map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
  const enc = tok.encode(o.sample);
  post({ id, type: 'tokenizer', json: JSON.stringify(json, null, 2), vocabSize: tok.vocabSize, merges, tokens: enc.tokens, ids: enc.ids });
}

/** The task-prompt GPT-2 (tiny-gpt2-prompts) and its tokenizer, loaded on first use. */
let prompted: { model: GPT2LMHeadModel; tokenizer: Tokenizer } | undefined;
const PROMPT_MAX_NEW_TOKENS = 40;

async function prompt(id: number, task: 'to-fr' | 'summarize', text: string, modelsUrl: string, signal: AbortSignal): Promise<void> {
  if (!prompted) {
    const url = `${modelsUrl}tiny-gpt2-prompts/`;
    const tok = await Tokenizer.fromPretrained(url);
    const m = await GPT2LMHeadModel.fromPretrained(url, { onProgress: ({ file, loaded, total, done }) => post({ id, type: 'progress', file: `tiny-gpt2-prompts/${file}`, loaded, total, done }) });
    prompted = { model: m, tokenizer: tok };
  }
  const { model: m, tokenizer: tok } = prompted;
  // The format it was trained on (and tfkit's prompted translation pipeline uses): `<text> <task token>`.
  const source = `${text.trim()} <${task}>`;
  const ids = tok.encode(source).ids;
  const room = m.config.nPositions - ids.length;
  if (room <= 0) throw new Error(`the prompt is ${ids.length} tokens; this model reads at most ${m.config.nPositions}`);
  const started = performance.now();
  const out = await generateIds(m, [ids], { maxNewTokens: Math.min(PROMPT_MAX_NEW_TOKENS, room), doSample: false, signal });
  const newIds = out.sequences[0]!.slice(out.prefixLength);
  post({ id, type: 'prompted', prompt: source, promptIds: ids, ids: newIds, text: tok.decode(newIds, { skipSpecialTokens: true }).trim(), ms: performance.now() - started, backend: activation?.backend ?? tf.getBackend() });
}

/** The BART tokenizer of the noising view (loaded on first use). */
let bartTokenizer: Tokenizer | undefined;

async function noise(id: number, text: string, seed: number, modelsUrl: string): Promise<void> {
  bartTokenizer ??= await Tokenizer.fromPretrained(`${modelsUrl}${FAMILY_TASKS.translate.model}/`);
  const tok = bartTokenizer;
  const maskTokenId = tok.tokenToId('<mask>');
  if (maskTokenId === undefined) throw new Error('the BART tokenizer has no <mask> token');
  const fullStopIds = ['.', '!', '?'].map((t) => tok.tokenToId(t)).filter((i): i is number => i !== undefined);
  const ids = tok.encode(text, { addSpecialTokens: false }).ids;
  if (ids.length === 0) throw new Error('no text: type a sentence or two');
  const names = (seq: number[]) => seq.map((i) => tok.idToToken(i) ?? `#${i}`);
  const noised = noiseAll(ids, { maskTokenId, fullStopIds, seed });
  const schemes = NOISE_SCHEMES.map((name) => ({ name, ids: noised[name], tokens: names(noised[name]), text: tok.decode(noised[name], { skipSpecialTokens: false }) }));
  post({ id, type: 'noised', tokens: names(ids), ids, schemes });
}

/** The family pipelines loaded so far (each on first use). */
const familyPipelines = new Map<FamilyTask, { folder: string; pipe: { call(input: unknown, options?: object): Promise<unknown>; dispose(): void } }>();

function disposeFamily(): void {
  for (const p of familyPipelines.values()) p.pipe.dispose();
  familyPipelines.clear();
}

/** What the cross-attention view needs of the translation pipeline. */
interface Seq2SeqPipeline {
  model: Parameters<typeof generateIds>[0] & { forward(inputs: { inputIds: tf.Tensor; decoderInputIds: tf.Tensor; outputAttentions: boolean }): { crossAttentions?: tf.Tensor[] } };
  tokenizer: Tokenizer;
}

/**
 * The cross-attention of the translation: the pipeline's generation again (same options, so the
 * same ids), then one teacher-forced pass over them with the attentions out. Row i is the decoder
 * step that produced target token i.
 */
async function crossAttention(id: number, pipe: Seq2SeqPipeline, text: string, numBeams: number): Promise<void> {
  const tok = pipe.tokenizer;
  const source = tok.encode(text).ids;
  const generated = await generateIds(pipe.model, [source], { ...FAMILY_OPTIONS.translate, numBeams });
  const seq = generated.sequences[0]!;
  if (seq.length < 2) return;
  const inputIds = tf.tensor2d([source], [1, source.length], 'int32');
  const decoderInputIds = tf.tensor2d([seq.slice(0, -1)], [1, seq.length - 1], 'int32');
  const out = pipe.model.forward({ inputIds, decoderInputIds, outputAttentions: true });
  try {
    const maps: number[][][] = [];
    for (const a of out.crossAttentions ?? []) {
      const [, heads, t, s] = a.shape as [number, number, number, number];
      const data = (await a.data()) as Float32Array;
      maps.push(Array.from({ length: heads }, (_, h) => Array.from(data.subarray(h * t * s, (h + 1) * t * s))));
    }
    const names = (ids: number[]) => ids.map((i) => tok.idToToken(i) ?? `#${i}`);
    post({ id, type: 'cross-attention', source: names(source), target: names(seq.slice(1)), maps });
  } finally {
    tf.dispose([inputIds, decoderInputIds, out as unknown as tf.TensorContainer]);
  }
}

/** What the attention view needs of the image-classification pipeline. */
interface VitPipeline {
  model: { config: { imageSize: number; patchSize: number }; forward(inputs: { pixelValues: tf.Tensor; outputAttentions: boolean }): { logits: tf.Tensor; attentions?: tf.Tensor[] } };
  processor: { preprocess(images: unknown[]): tf.Tensor };
}

/** The attention of [CLS] (query 0) over the patches (keys 1…), per layer and head, for `image`. */
async function vitAttention(id: number, pipe: VitPipeline, image: unknown): Promise<void> {
  const pixelValues = pipe.processor.preprocess([image]);
  const out = pipe.model.forward({ pixelValues, outputAttentions: true });
  try {
    const layers = out.attentions ?? [];
    const maps: number[][][] = [];
    for (const a of layers) {
      const [, heads, tokens] = a.shape as [number, number, number, number];
      const data = (await a.data()) as Float32Array;
      maps.push(Array.from({ length: heads }, (_, h) => Array.from(data.subarray(h * tokens * tokens + 1, h * tokens * tokens + tokens))));
    }
    post({ id, type: 'vit-attention', side: pipe.model.config.imageSize / pipe.model.config.patchSize, patchSize: pipe.model.config.patchSize, maps });
  } finally {
    tf.dispose([pixelValues, out as unknown as tf.TensorContainer]);
  }
}

async function family(id: number, o: FamilyRequest): Promise<void> {
  const { model, pipeline: task } = FAMILY_TASKS[o.task];
  const folder = o.modelUrl ?? `${o.modelsUrl}${model}`;
  const held = familyPipelines.get(o.task);
  // One pipeline per task: another folder for the task replaces it.
  if (held && held.folder !== folder) {
    held.pipe.dispose();
    familyPipelines.delete(o.task);
  }
  let pipe = familyPipelines.get(o.task)?.pipe;
  const loaded = pipe === undefined;
  if (!pipe) {
    try {
      pipe = (await pipeline(task, folder, {
        registry,
        progressCallback: ({ file, loaded: bytes, total, done }) => post({ id, type: 'progress', file: o.modelUrl ? `${folder}${file}` : `${model}/${file}`, loaded: bytes, total, done }),
      })) as unknown as NonNullable<typeof pipe>;
    } catch (error) {
      if (!o.modelUrl) throw error;
      // Say which address failed; the typed error's message says why. A ConfigError means the
      // folder loaded but holds the wrong kind of model; anything else, what the folder must hold.
      const why = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
      const back = 'Or clear the Model field to use the embedded model.';
      throw new Error(`${folder} could not serve ${task}: ${why}. ${error instanceof ConfigError ? back : customFileFix(folder, back)}`, { cause: error });
    }
    familyPipelines.set(o.task, { folder, pipe });
  }
  const started = performance.now();
  let result: unknown;
  switch (o.task) {
    case 'qa':
      result = await pipe.call({ question: o.text, context: o.context ?? '' }, FAMILY_OPTIONS.qa);
      break;
    case 'translate':
      result = await pipe.call(o.text, { ...FAMILY_OPTIONS.translate, numBeams: o.numBeams ?? 1 });
      await crossAttention(id, pipe as unknown as Seq2SeqPipeline, o.text, o.numBeams ?? 1);
      break;
    case 'summarize':
      result = await pipe.call(o.text, { ...FAMILY_OPTIONS.summarize, numBeams: o.numBeams ?? 1 });
      break;
    case 'classify': {
      if (!o.image) throw new Error('no image: pick an example or upload one');
      const image = await decodeImage(o.image, { where: 'the uploaded image' });
      result = await pipe.call(image, FAMILY_OPTIONS.classify);
      await vitAttention(id, pipe as unknown as VitPipeline, image);
      break;
    }
    default:
      result = await pipe.call(o.text, FAMILY_OPTIONS[o.task]);
  }
  post({ id, type: 'family-result', task: o.task, result, ms: performance.now() - started, loaded, backend: activation?.backend ?? tf.getBackend() });
}

function describe(error: unknown): { message: string; file?: string; fix?: string } {
  if (error instanceof MissingFileError) return { message: error.message, file: error.file, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** One request at a time (the page queues them); control messages act on the running one. */
let queue: Promise<void> = Promise.resolve();

self.addEventListener('message', (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.type === 'stop' || request.type === 'pause' || request.type === 'resume') {
    if (!running || running.id !== request.id) {
      if (request.type === 'stop' && queued.has(request.id)) stoppedWhileQueued.add(request.id);
      return;
    }
    if (request.type === 'stop') running.abort.abort();
    if (request.type === 'pause') running.paused = true;
    if (request.type === 'stop' || request.type === 'resume') {
      running.paused = false;
      running.resume?.();
      running.resume = undefined;
    }
    return;
  }
  queued.add(request.id);
  queue = queue.then(async () => {
    queued.delete(request.id);
    running = { id: request.id, abort: new AbortController(), paused: false };
    if (stoppedWhileQueued.delete(request.id)) running.abort.abort();
    try {
      switch (request.type) {
        case 'init': await init(request.id, request.backend, request.baseUrl, request.custom ?? false); break;
        case 'generate': await generate(request.id, request.options, running.abort.signal); break;
        case 'attention': await attention(request.id, request.ids); break;
        case 'finetune': await finetune(request.id, request.options); break;
        case 'finetune-resume': await finetune(request.id, 'resume'); break;
        case 'saved-run': {
          const run = await loadRun().catch(() => undefined);
          post({ id: request.id, type: 'saved-run', run: run && summarize(run) });
          break;
        }
        case 'discard-run': await clearRun(); break;
        case 'export': await exportFiles(request.id, request.what); break;
        case 'train-tokenizer': await trainTok(request.id, request.options); break;
        case 'family': await family(request.id, request.options); break;
        case 'classifier-train': await trainClassifier(request.id, request.options); break;
        case 'classifier-resume': await trainClassifier(request.id, 'resume'); break;
        case 'classifier-saved-run': {
          const run = await loadRun<ClassifierRequest>('classifier').catch(() => undefined);
          post({ id: request.id, type: 'classifier-saved-run', run: run && summarizeClassifier(run) });
          break;
        }
        case 'classifier-discard-run': await clearRun('classifier'); break;
        case 'classify-text': await classifyTexts(request.id, request.texts); break;
        case 'noise': await noise(request.id, request.text, request.seed, request.modelsUrl); break;
        case 'prompt': await prompt(request.id, request.task, request.text, request.modelsUrl, running.abort.signal); break;
      }
      post({ id: request.id, type: 'done' });
    } catch (error) {
      post({ id: request.id, type: 'error', ...describe(error) });
    } finally {
      running = undefined;
    }
  });
});
