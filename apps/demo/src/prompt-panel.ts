/**
 * GPT-2 with task prompts: the embedded tiny-gpt2-prompts continues `text <to-fr>` or
 * `text <summarize>` greedily in the worker; the page shows the exact prompt and the answer.
 */
import type { ModelClient } from './client.js';
import { byId } from './dom.js';

const SAMPLES = { 'to-fr': 'house', summarize: 'The rain fell all day. We stayed in the house and read by the fire. In the evening the rain stopped and the sky was clear.' };

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
