/**
 * BART's five noising schemes on the user's text: the worker tokenizes it with BART's tokenizer
 * and applies each of @tfkit/models-bart's noising functions alone (seeded); the table shows the
 * tokens the encoder would read (masks highlighted) and their decoded text.
 */
import type { ModelClient } from './client.js';
import { byId } from './dom.js';

/** Byte-level symbols as characters: `Ġ` is a space. */
const show = (token: string) => token.replace(/Ġ/g, '␣').replace(/Ċ/g, '↵');

export function setupNoisePanel(client: ModelClient, modelsUrl: () => string): { setReady(ready: boolean): void } {
  const form = byId('noise-form', HTMLFormElement);
  const text = byId('noise-text', HTMLTextAreaElement);
  const seed = byId('noise-seed', HTMLInputElement);
  const run = byId('noise-run', HTMLButtonElement);
  const table = byId('noise-out', HTMLTableElement);
  const status = byId('noise-status', HTMLElement);
  const body = table.tBodies[0]!;
  let ready = false;
  let busy = false;
  const sync = () => (run.disabled = !ready || busy);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!ready || busy) return;
    busy = true;
    sync();
    table.dataset['state'] = 'running';
    status.textContent = 'Noising…';
    void client
      .request({ type: 'noise', text: text.value, seed: seed.valueAsNumber || 0, modelsUrl: modelsUrl() }, (e) => {
        if (e.type !== 'noised') return;
        const rows = [{ name: 'original', ids: e.ids, tokens: e.tokens, text: text.value }, ...e.schemes].map((s) => {
          const row = document.createElement('tr');
          row.dataset['scheme'] = s.name;
          row.dataset['ids'] = JSON.stringify(s.ids);
          const head = Object.assign(document.createElement('th'), { scope: 'row', textContent: s.name });
          const cell = document.createElement('td');
          const chips = document.createElement('ul');
          chips.className = 'chips';
          chips.append(...s.tokens.map((t) => Object.assign(document.createElement('li'), { textContent: show(t), className: t === '<mask>' ? 'mask' : '' })));
          cell.append(chips, Object.assign(document.createElement('span'), { className: 'decoded', textContent: s.text }));
          row.append(head, cell);
          return row;
        });
        body.replaceChildren(...rows);
        status.textContent = `${e.tokens.length} tokens; seed ${seed.valueAsNumber || 0}. Change the seed for other draws.`;
      })
      .then(() => (table.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        table.dataset['state'] = 'error';
        body.replaceChildren();
        status.textContent = `Noising failed: ${error instanceof Error ? error.message : String(error)}`;
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
