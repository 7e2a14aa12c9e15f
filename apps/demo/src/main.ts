/**
 * The tfkit demo page: starts the model worker (all model work runs there), loads the chosen
 * backend with the tiny GPT-2 on it — showing download progress, and a clear error naming a missing
 * file and its fix — and wires the panels: generation, attention, tokenizer playground,
 * fine-tuning and tokenizer training.
 */
import { Tokenizer, type TokenizerConfigJson, type TokenizerJson } from '@tfkit/tokenizers';
import { setupAttentionPanel } from './attention-panel.js';
import { BACKENDS, type BackendName } from './backend-names.js';
import { ModelClient, WorkerError } from './client.js';
import { byId } from './dom.js';
import { setupClassifierPanel } from './classifier-panel.js';
import { setupFamilyPanel } from './family-panel.js';
import { setupFinetunePanel } from './finetune-panel.js';
import { setupGenerationPanel } from './generation-panel.js';
import { setupNoisePanel } from './noise-panel.js';
import { setupPromptPanel } from './prompt-panel.js';
import { formatBytes } from './text-spans.js';
import { modelFolderUrl } from './worker-util.js';
import { setupTokenizerPanel } from './tokenizer-panel.js';
import { setupTokenizerTrainPanel } from './tokenizer-train-panel.js';

const backendSelect = byId('backend', HTMLSelectElement);
const backendStatus = byId('backend-status', HTMLElement);
const loadProgress = byId('load-progress', HTMLProgressElement);
const isolationNote = byId('isolation-note', HTMLElement);

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The model's folder, relative to the page, so the site works from any path. */
function modelUrl(): string {
  return new URL('models/tiny-gpt2/', document.baseURI).href;
}

/** The GPT-2 the generation and fine-tuning panels use: the embedded one, or a folder the user gave. */
let userModel: string | undefined;

async function loadTokenizer(base: string): Promise<Tokenizer> {
  const get = async <T>(name: string): Promise<T> => {
    const response = await fetch(`${base}${name}`);
    if (!response.ok) throw new WorkerError(`models/tiny-gpt2/${name} could not be loaded (HTTP ${response.status})`, `models/tiny-gpt2/${name}`, 'Rebuild the site with `pnpm --filter @tfkit/demo build`, then reload.');
    return (await response.json()) as T;
  };
  const [json, config] = await Promise.all([get<TokenizerJson>('tokenizer.json'), get<TokenizerConfigJson>('tokenizer_config.json')]);
  return Tokenizer.fromJSON(json, config);
}

/** "Running on wasm" plus what the backend said about itself (binary, threads, fallbacks). */
function showActivation(backend: string, notes: string[], cached: boolean): void {
  const name = document.createElement('strong');
  name.id = 'backend-name';
  name.textContent = backend;
  const said = notes.map((n) => n.replace(/^\w+: /, '')).join('; ');
  backendStatus.replaceChildren('Running on ', name, said ? ` — ${said}` : '', cached ? ' · weights from the browser cache' : '');
  backendStatus.dataset['backend'] = backend;
  backendStatus.dataset['state'] = 'ready';
  backendStatus.dataset['cached'] = String(cached);
}

function showError(what: string, error: unknown): void {
  backendStatus.dataset['state'] = 'error';
  const text = document.createElement('span');
  text.textContent = `${what}: ${message(error)}.`;
  const parts: (string | Node)[] = [text];
  if (error instanceof WorkerError && error.fix) {
    const fix = document.createElement('span');
    fix.className = 'fix';
    fix.textContent = ` ${error.fix}`;
    parts.push(fix);
    if (error.file) backendStatus.dataset['missing'] = error.file;
  }
  backendStatus.replaceChildren(...parts);
}

async function main(): Promise<void> {
  if (!globalThis.crossOriginIsolated) {
    isolationNote.hidden = false;
    isolationNote.textContent =
      'This host does not send the cross-origin isolation headers (COOP/COEP), so wasm runs on one thread. The build ships _headers (Netlify, Cloudflare Pages) and vercel.json that turn threads on.';
  }
  const client = new ModelClient();
  const tokenizer = await loadTokenizer(modelUrl());
  setupTokenizerPanel(tokenizer);
  const attention = setupAttentionPanel();
  const busy = { generation: false, training: false };
  const lock = () => (backendSelect.disabled = busy.generation || busy.training);
  const generation = setupGenerationPanel(client, {
    onBusy: (b) => ((busy.generation = b), lock()),
    onDone: async ({ ids }) => {
      await client.request({ type: 'attention', ids }, (event) => {
        if (event.type === 'attention') attention.show(event.tokens.map((t) => t), event.maps);
      });
    },
  });
  const finetune = setupFinetunePanel(client, { onBusy: (b) => ((busy.training = b), lock()) });
  setupTokenizerTrainPanel(client);
  const family = setupFamilyPanel(client);
  const noise = setupNoisePanel(client, () => new URL('models/', document.baseURI).href);
  const prompts = setupPromptPanel(client, () => new URL('models/', document.baseURI).href);
  const classifier = setupClassifierPanel(client, {
    onBusy: (b) => ((busy.training = b), lock()),
    modelUrl: () => new URL('models/tiny-bert/', document.baseURI).href,
  });

  const switchTo = async (backend: BackendName) => {
    backendSelect.disabled = true;
    generation.setReady(false);
    finetune.setReady(false);
    family.setReady(false);
    classifier.setReady(false);
    noise.setReady(false);
    prompts.setReady(false);
    delete backendStatus.dataset['backend'];
    delete backendStatus.dataset['missing'];
    backendStatus.dataset['state'] = 'loading';
    backendStatus.textContent = `Starting ${backend} and loading the model…`;
    loadProgress.hidden = false;
    loadProgress.removeAttribute('value');
    let ok = false;
    let fellBackTo: string | undefined;
    try {
      await client.request({ type: 'init', backend, baseUrl: userModel ?? modelUrl(), custom: userModel !== undefined }, (event) => {
        if (event.type === 'progress') {
          if (event.total) loadProgress.max = event.total;
          loadProgress.value = event.loaded;
          const percent = event.total ? ` (${Math.round((100 * event.loaded) / event.total)} %)` : '';
          backendStatus.textContent = `Loading ${event.file}: ${formatBytes(event.loaded)}${event.total ? ` of ${formatBytes(event.total)}` : ''}${percent}`;
          backendStatus.dataset['progress'] = String(event.total ? event.loaded / event.total : 0);
        } else if (event.type === 'ready') {
          showActivation(event.backend, event.notes, event.cached);
          backendSelect.value = event.backend;
          if (event.backend !== backend) fellBackTo = event.backend;
        }
      });
      ok = true;
    } catch (error) {
      showError(error instanceof WorkerError && error.file ? 'The model could not load' : userModel ? 'Your model could not load' : `${backend} could not start`, error);
      if (fellBackTo) {
        // The worker went back to the backend that ran before: say so, and keep the page usable.
        backendStatus.append(` Still on ${fellBackTo}.`);
        backendStatus.dataset['backend'] = fellBackTo;
        ok = true;
      }
    } finally {
      loadProgress.hidden = true;
      backendSelect.disabled = false;
      // Generate and Train stay disabled until a model is loaded.
      generation.setReady(ok);
      finetune.setReady(ok);
      family.setReady(ok);
      classifier.setReady(ok);
      noise.setReady(ok);
      prompts.setReady(ok);
    }
  };

  const modelForm = byId('model-form', HTMLFormElement);
  const modelInput = byId('model-url', HTMLInputElement);
  const embeddedButton = byId('model-embedded', HTMLButtonElement);
  const modelName = byId('model-name', HTMLElement);
  const useModel = async (url: string | undefined) => {
    userModel = url;
    embeddedButton.disabled = url === undefined;
    modelName.textContent = url ? `Model: ${url}` : 'Model: the embedded tiny GPT-2.';
    modelName.dataset['model'] = url ?? 'embedded';
    await switchTo(backendSelect.value as BackendName);
  };
  modelForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = modelFolderUrl(modelInput.value, document.baseURI);
    if (!url) {
      backendStatus.dataset['state'] = 'error';
      backendStatus.textContent = `"${modelInput.value}" is not a model folder: give an http(s) URL of a folder holding config.json, model.safetensors and tokenizer.json, or a hub id such as owner/name.`;
      return;
    }
    void useModel(url);
  });
  embeddedButton.addEventListener('click', () => void useModel(undefined));

  backendSelect.addEventListener('change', () => {
    const value = backendSelect.value as BackendName;
    if (BACKENDS.includes(value)) void switchTo(value);
  });
  await switchTo(backendSelect.value as BackendName);
}

main().catch((error: unknown) => {
  showError('The demo could not start', error);
  console.error(error);
});
