/**
 * The Pause/Resume button of a training view: it asks the worker to hold the run between two steps
 * or to go on, says which on the button, and marks the loss chart (`data-paused`; the worker's
 * `train-paused` event sets `data-paused-at`). One for GPT-2 fine-tuning and the text classifier.
 */
import type { ModelClient } from './client.js';

export function pauseToggle(button: HTMLButtonElement, chart: HTMLElement, client: ModelClient, run: () => number | undefined): { reset(): void } {
  let paused = false;
  const show = () => {
    button.textContent = paused ? 'Resume' : 'Pause';
    chart.dataset['paused'] = String(paused);
  };
  button.addEventListener('click', () => {
    const id = run();
    if (id === undefined) return;
    paused = !paused;
    client.control(id, paused ? 'pause' : 'resume');
    delete chart.dataset['pausedAt'];
    show();
  });
  return {
    /** A new run starts, or the last one ended: not paused. */
    reset() {
      paused = false;
      show();
    },
  };
}
