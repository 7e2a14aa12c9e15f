/**
 * The "an unfinished run was saved" offer both training views show after a reload: the notice,
 * the loss curve so far, and the saved run's LoRA and schedule settings back in the form (a
 * resumed run uses them).
 */
import { lossPolyline } from './text-spans.js';

/** The elements of a training view the offer fills. */
export interface SavedRunView {
  saved: HTMLElement;
  savedText: HTMLElement;
  chart: HTMLElement;
  curve: SVGPolylineElement;
  status: HTMLElement;
  r: HTMLInputElement;
  alpha: HTMLInputElement;
  targets: HTMLInputElement;
  steps: HTMLInputElement;
  lr: HTMLInputElement;
  seed: HTMLInputElement;
  saveEvery: HTMLInputElement;
}

/** What every saved run records (run-store.ts's summaries). */
export interface SavedRunBasics {
  step: number;
  maxSteps: number;
  losses: number[];
  options: { r: number; alpha: number; targets: string[]; steps: number; learningRate: number; seed: number; saveEvery: number };
}

/** Shows the offer for `saved`, described as `what` ("An unfinished … run"). */
export function showSavedRun(el: SavedRunView, saved: SavedRunBasics, what: string): void {
  el.saved.hidden = false;
  el.saved.dataset['step'] = String(saved.step);
  const last = saved.losses.at(-1);
  el.savedText.textContent = `${what} was saved at step ${saved.step} of ${saved.maxSteps}${last === undefined ? '' : ` (loss ${last.toFixed(4)})`}.`;
  el.curve.setAttribute('points', lossPolyline(saved.losses, saved.maxSteps, 300, 120));
  el.chart.dataset['losses'] = JSON.stringify(saved.losses);
  el.chart.dataset['state'] = 'saved';
  el.status.textContent = 'The curve so far is shown. Resume continues it from the saved step; Train starts a new run.';
  const o = saved.options;
  el.r.value = String(o.r);
  el.alpha.value = String(o.alpha);
  el.targets.value = o.targets.join(', ');
  el.steps.value = String(o.steps);
  el.lr.value = String(o.learningRate);
  el.seed.value = String(o.seed);
  el.saveEvery.value = String(o.saveEvery);
}
