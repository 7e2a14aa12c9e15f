/**
 * Text generation: reads the form, asks the model worker to generate, shows the text as the worker
 * streams it, and reports the speed. The Stop button aborts between two tokens (in the worker).
 */
import type { ModelClient } from './client.js';
import type { Event, GenerateRequest } from './protocol.js';
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

function readOptions(el: Elements): Omit<GenerateRequest, 'prompt' | 'model'> {
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
  client: ModelClient,
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
    run(client, el, controller.signal, () => undefined)
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

async function run(client: ModelClient, el: Elements, signal: AbortSignal, onStart: (id: number) => void): Promise<Generation | undefined> {
  const options = readOptions(el);
  const prompt = el.prompt.value;
  el.output.dataset['state'] = 'running';
  el.output.setAttribute('aria-busy', 'true');
  el.promptEcho.textContent = prompt;
  el.text.replaceChildren();
  const append = appendTo(el.text);
  const started = performance.now();
  let result: Extract<Event, { type: 'generated' }> | undefined;
  const { id, finished } = client.start({ type: 'generate', options: { ...options, prompt, model: 'base' } }, (event) => {
    if (event.type === 'token') {
      append(event.text);
      el.stats.textContent = `${event.count} tokens · ${formatRate(event.count, performance.now() - started)}`;
    } else if (event.type === 'generated') {
      result = event;
    }
  });
  onStart(id);
  signal.addEventListener('abort', () => client.control(id, 'stop'), { once: true });
  try {
    await finished;
  } finally {
    el.output.removeAttribute('aria-busy');
  }
  if (!result) return undefined;
  const { count, ms, stopReason, backend } = result;
  const limit = 128;
  const why = ({ eos: ', ended by <|endoftext|>', aborted: ', stopped', 'max-length': '', 'stop-string': '' } as Record<string, string>)[stopReason] ?? '';
  const room = limit - Math.max(result.prefixLength, 1);
  const note = count < options.maxNewTokens && stopReason === 'max-length' ? ` (at most ${room} fit in the model's ${limit} positions)` : '';
  el.stats.textContent = `${count} tokens in ${(ms / 1000).toFixed(2)} s · ${formatRate(count, ms)} on ${backend}${why}${note}`;
  el.output.dataset['state'] = 'done';
  return { ids: result.ids, prefixLength: result.prefixLength };
}
