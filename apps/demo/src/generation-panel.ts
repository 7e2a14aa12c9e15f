/**
 * Text generation: reads the form, streams tokens into the page with `generateStream` as the model
 * produces them, and reports the speed. The Stop button aborts between two tokens.
 */
import { generateStream, TextStreamer, type GenerateOptions, type GenerateOutput } from '@tfkit/generation';
import type { Tokenizer } from '@tfkit/tokenizers';
import type { Runtime } from './runtime.js';
import { formatRate } from './text-spans.js';
import { byId } from './dom.js';

export interface Generation {
  /** Prompt + continuation ids. */
  ids: number[];
  prefixLength: number;
}

interface Elements {
  form: HTMLFormElement;
  prompt: HTMLTextAreaElement;
  maxNewTokens: HTMLInputElement;
  repetitionPenalty: HTMLInputElement;
  sampling: HTMLFieldSetElement;
  temperature: HTMLInputElement;
  topK: HTMLInputElement;
  topP: HTMLInputElement;
  seed: HTMLInputElement;
  generate: HTMLButtonElement;
  stop: HTMLButtonElement;
  output: HTMLElement;
  promptEcho: HTMLElement;
  text: HTMLElement;
  stats: HTMLElement;
}

function elements(): Elements {
  return {
    form: byId('gen-form', HTMLFormElement),
    prompt: byId('prompt', HTMLTextAreaElement),
    maxNewTokens: byId('max-new-tokens', HTMLInputElement),
    repetitionPenalty: byId('repetition-penalty', HTMLInputElement),
    sampling: byId('sampling', HTMLFieldSetElement),
    temperature: byId('temperature', HTMLInputElement),
    topK: byId('top-k', HTMLInputElement),
    topP: byId('top-p', HTMLInputElement),
    seed: byId('seed', HTMLInputElement),
    generate: byId('generate', HTMLButtonElement),
    stop: byId('stop', HTMLButtonElement),
    output: byId('gen-output', HTMLElement),
    promptEcho: byId('gen-prompt', HTMLElement),
    text: byId('gen-text', HTMLElement),
    stats: byId('gen-stats', HTMLElement),
  };
}

function isGreedy(form: HTMLFormElement): boolean {
  return (form.elements.namedItem('mode') as RadioNodeList).value === 'greedy';
}

function readOptions(el: Elements): GenerateOptions {
  const doSample = !isGreedy(el.form);
  return {
    maxNewTokens: el.maxNewTokens.valueAsNumber,
    repetitionPenalty: el.repetitionPenalty.valueAsNumber,
    doSample,
    ...(doSample
      ? { temperature: el.temperature.valueAsNumber, topK: el.topK.valueAsNumber, topP: el.topP.valueAsNumber, seed: el.seed.valueAsNumber }
      : {}),
  };
}

/** Shows each settled piece of text as it streams in (@tfkit/generation's TextStreamer holds back partial characters). */
function appendTo(target: HTMLElement): (text: string) => void {
  return (text) => {
    if (!text) return;
    const piece = document.createElement('span');
    piece.className = 'fresh';
    piece.textContent = text;
    target.append(piece);
  };
}

export interface GenerationPanel {
  /** Enables or disables the Generate button (while the backend changes). */
  setReady(ready: boolean): void;
}

/**
 * Wires the form. `onBusy` is told when a generation starts and ends (the page locks the backend
 * picker meanwhile); `onDone` receives the finished sequence (for the attention panel).
 */
export function setupGenerationPanel(
  runtime: Runtime,
  tokenizer: Tokenizer,
  hooks: { onBusy(busy: boolean): void; onDone(generation: Generation): Promise<void> },
): GenerationPanel {
  const el = elements();
  let controller: AbortController | undefined;

  const syncMode = () => (el.sampling.disabled = isGreedy(el.form));
  el.form.addEventListener('change', syncMode);
  syncMode();
  el.stop.addEventListener('click', () => controller?.abort());

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (controller) return;
    controller = new AbortController();
    el.generate.disabled = true;
    el.stop.disabled = false;
    hooks.onBusy(true);
    run(runtime, tokenizer, el, controller.signal)
      .then((generation) => (generation ? hooks.onDone(generation) : undefined))
      .catch((error: unknown) => {
        el.output.dataset['state'] = 'error';
        el.stats.textContent = `Generation failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        controller = undefined;
        el.generate.disabled = false;
        el.stop.disabled = true;
        hooks.onBusy(false);
      });
  });

  return { setReady: (ready) => (el.generate.disabled = !ready || controller !== undefined) };
}

async function run(runtime: Runtime, tokenizer: Tokenizer, el: Elements, signal: AbortSignal): Promise<Generation | undefined> {
  const model = runtime.model;
  const options = readOptions(el);
  const prompt = el.prompt.value;
  const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
  el.output.dataset['state'] = 'running';
  el.output.setAttribute('aria-busy', 'true');
  el.promptEcho.textContent = prompt;
  el.text.replaceChildren();

  // Learned positions end at nPositions: shorten the continuation to fit, and say so.
  const limit = model.config.nPositions;
  const room = limit - Math.max(ids.length, 1);
  if (room <= 0) {
    el.output.dataset['state'] = 'error';
    el.stats.textContent = `The prompt is ${ids.length} tokens; this model reads at most ${limit}.`;
    return undefined;
  }
  const requested = options.maxNewTokens ?? 0;
  const maxNewTokens = Math.min(requested, room);
  const note = maxNewTokens < requested ? ` (at most ${room} fit in the model's ${limit} positions)` : '';

  // generateStream feeds the streamer (prompt left out); the loop below counts tokens for the speed line.
  const streamer = new TextStreamer(tokenizer, { onText: appendTo(el.text) });
  const started = performance.now();
  let count = 0;
  let out: GenerateOutput;
  const stream = generateStream(model, [ids], { ...options, maxNewTokens, signal, streamer });
  try {
    for (;;) {
      const next = await stream.next();
      if (next.done) {
        out = next.value;
        break;
      }
      count++;
      el.stats.textContent = `${count} tokens · ${formatRate(count, performance.now() - started)}`;
    }
  } finally {
    await stream.return(undefined as never);
    el.output.removeAttribute('aria-busy');
  }
  const elapsed = performance.now() - started;
  const sequence = out.sequences[0]!;
  const why = { eos: ', ended by <|endoftext|>', aborted: ', stopped', 'max-length': '', 'stop-string': '' }[out.stopReason];
  el.stats.textContent =
    `${count} tokens in ${(elapsed / 1000).toFixed(2)} s · ${formatRate(count, elapsed)} on ${runtime.activation?.backend ?? '?'}${why}${note}`;
  el.output.dataset['state'] = 'done';
  return { ids: sequence, prefixLength: out.prefixLength };
}
