/**
 * GPT-2 with task prompts: the embedded tiny-gpt2-prompts continues `text <to-fr>` or
 * `text <summarize>` greedily in the worker; the page shows the exact prompt and the answer.
 */
import type { ModelClient } from './client.js';
import { byId } from './dom.js';

/** The summarize sample is a held-out passage of the model's test set (Emma; its card's checked prompt): the model knows only Austen-era prose. */
const SAMPLES = {
  'to-fr': 'house',
  summarize: 'Mr. Weston certainly would never marry again. Some people even talked of a promise to his wife on her deathbed, and others of the son and the uncle not letting him. All manner of solemn nonsense was talked on the subject, but I believed none of it.',
};

export function setupPromptPanel(client: ModelClient, modelsUrl: () => string): { setReady(ready: boolean): void } {
  const form = byId('prompt-form', HTMLFormElement);
  const task = byId('prompt-task', HTMLSelectElement);
  const text = byId('prompt-text', HTMLTextAreaElement);
  const run = byId('prompt-run', HTMLButtonElement);
  const shown = byId('prompt-prompt', HTMLElement);
  const out = byId('prompt-out', HTMLElement);
  let ready = false;
  let busy = false;
  const sync = () => (run.disabled = !ready || busy);
  task.addEventListener('change', () => {
    const value = task.value as keyof typeof SAMPLES;
    if (Object.values(SAMPLES).includes(text.value)) text.value = SAMPLES[value];
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!ready || busy) return;
    busy = true;
    sync();
    out.dataset['state'] = 'running';
    out.textContent = 'Loading the task-prompt GPT-2 (first use) and continuing…';
    void client
      .request({ type: 'prompt', task: task.value === 'summarize' ? 'summarize' : 'to-fr', text: text.value, modelsUrl: modelsUrl() }, (e) => {
        if (e.type !== 'prompted') return;
        shown.textContent = `Prompt (${e.promptIds.length} tokens): ${e.prompt}`;
        out.dataset['ids'] = JSON.stringify(e.ids);
        out.textContent = e.text || '(the model ended at once: an empty answer)';
        out.title = `${e.ids.length} tokens in ${Math.round(e.ms)} ms on ${e.backend}`;
      })
      .then(() => (out.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        out.dataset['state'] = 'error';
        out.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        busy = false;
        sync();
      });
  });
  sync();
  return {
    setReady(value) {
      ready = value;
      sync();
    },
  };
}
