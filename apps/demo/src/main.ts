/**
 * The tfkit demo page: loads the tokenizer, starts the chosen backend with the tiny GPT-2 on it, and
 * wires the three panels (generation, attention, tokenizer). Everything runs in this page.
 */
import type { BackendActivation } from '@tfkit/core-tensor';
import { setupAttentionPanel } from './attention-panel.js';
import { byId } from './dom.js';
import { setupGenerationPanel } from './generation-panel.js';
import { BACKENDS, loadTokenizer, modelUrl, Runtime, type BackendName } from './runtime.js';
import { setupTokenizerPanel } from './tokenizer-panel.js';

const backendSelect = byId('backend', HTMLSelectElement);
const backendStatus = byId('backend-status', HTMLElement);

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "Running on wasm" plus what the backend said about itself (binary, threads, fallbacks). */
function showActivation(activation: BackendActivation): void {
  const name = document.createElement('strong');
  name.id = 'backend-name';
  name.textContent = activation.backend;
  const notes = activation.notes.map((n) => n.replace(/^\w+: /, '')).join('; ');
  backendStatus.replaceChildren('Running on ', name, notes ? ` — ${notes}` : '');
  backendStatus.dataset['backend'] = activation.backend;
}

async function main(): Promise<void> {
  const runtime = new Runtime(modelUrl());
  const tokenizer = await loadTokenizer(runtime.baseUrl);
  setupTokenizerPanel(tokenizer);
  const attention = setupAttentionPanel(tokenizer);
  const generation = setupGenerationPanel(runtime, tokenizer, {
    onBusy: (busy) => (backendSelect.disabled = busy),
    onDone: ({ ids }) => attention.show(runtime.model, ids),
  });

  const switchTo = async (backend: BackendName) => {
    backendSelect.disabled = true;
    generation.setReady(false);
    delete backendStatus.dataset['backend'];
    backendStatus.textContent = `Starting ${backend} and loading the model…`;
    try {
      showActivation(await runtime.use(backend));
    } catch (error) {
      const fallback = runtime.activation?.backend;
      backendStatus.textContent = `${backend} could not start: ${message(error)}${fallback ? ` Still on ${fallback}.` : ''}`;
      if (fallback) {
        backendSelect.value = fallback;
        backendStatus.dataset['backend'] = fallback;
      }
    } finally {
      backendSelect.disabled = false;
      generation.setReady(runtime.activation !== undefined);
    }
  };

  backendSelect.addEventListener('change', () => {
    const value = backendSelect.value as BackendName;
    if (BACKENDS.includes(value)) void switchTo(value);
  });
  await switchTo(backendSelect.value as BackendName);
}

main().catch((error: unknown) => {
  backendStatus.textContent = `The demo could not start: ${message(error)}`;
  console.error(error);
});
