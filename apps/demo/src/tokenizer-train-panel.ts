/**
 * Train a tokenizer: BPE (byte-level, GPT-2 style) or WordPiece (BERT style) on pasted text, in the
 * model worker with @tfkit/tokenizers/train; shows the first merges and how the new tokenizer cuts
 * a sample, and downloads tokenizer.json.
 */
import { download, type ModelClient } from './client.js';
import { byId } from './dom.js';
import { displayPiece } from './text-spans.js';

export function setupTokenizerTrainPanel(client: ModelClient): void {
  const form = byId('tt-form', HTMLFormElement);
  const text = byId('tt-text', HTMLTextAreaElement);
  const model = byId('tt-model', HTMLSelectElement);
  const vocab = byId('tt-vocab', HTMLInputElement);
  const sample = byId('tt-sample', HTMLInputElement);
  const train = byId('tt-train', HTMLButtonElement);
  const save = byId('tt-download', HTMLButtonElement);
  const status = byId('tt-status', HTMLElement);
  const tokens = byId('tt-tokens', HTMLOListElement);
  const merges = byId('tt-merges', HTMLOListElement);
  let json: string | undefined;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    train.disabled = true;
    status.textContent = 'Training…';
    status.dataset['state'] = 'running';
    void client
      .request(
        { type: 'train-tokenizer', options: { text: text.value, model: model.value === 'wordpiece' ? 'wordpiece' : 'bpe', vocabSize: vocab.valueAsNumber, sample: sample.value } },
        (e) => {
          if (e.type !== 'tokenizer') return;
          json = e.json;
          tokens.replaceChildren(...e.tokens.map((t, i) => {
            const li = document.createElement('li');
            li.textContent = displayPiece(t);
            li.dataset['id'] = String(e.ids[i]);
            return li;
          }));
          merges.replaceChildren(...e.merges.slice(0, 40).map((m) => {
            const li = document.createElement('li');
            li.textContent = m.split(' ').map(displayPiece).join(' + ');
            return li;
          }));
          status.textContent = `A ${model.value === 'wordpiece' ? 'WordPiece' : 'BPE'} vocabulary of ${e.vocabSize} tokens: the sample is ${e.ids.length} tokens.`;
          save.disabled = false;
        },
      )
      .then(() => (status.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        status.dataset['state'] = 'error';
        status.textContent = `Training failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => (train.disabled = false));
  });
  save.addEventListener('click', () => json && download('tokenizer.json', json, 'application/json'));
}
