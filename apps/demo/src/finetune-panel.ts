/**
 * Fine-tune in the browser: causal-LM LoRA (or full fine-tuning) of the tiny GPT-2 on pasted text,
 * trained in the model worker with @tfkit/finetune's Trainer. Shows a live loss curve, steps/s and
 * the ETA, with pause / resume / stop; then "try it" generates with the adapted model, and the
 * adapter (PEFT's adapter_config.json + adapter_model.safetensors) or the merged checkpoint downloads.
 * The worker saves the run's state in IndexedDB every few steps; after a reload the panel offers
 * to resume it, and the resumed run continues the same loss curve.
 */
import { download, type ModelClient, type RequestBody } from './client.js';
import type { SavedRunSummary } from './protocol.js';
import { byId } from './dom.js';
import { pauseToggle } from './pause-toggle.js';
import { showSavedRun } from './saved-run-offer.js';
import { formatEta, lossPolyline } from './text-spans.js';

/** Public-domain sample (Jane Austen's style is what the model knows; this is a recipe it does not). */
export const SAMPLE_TEXT = `Take two cups of flour and a spoon of salt.
Mix the flour with warm water until the dough is soft.
Leave the dough to rest for an hour under a cloth.
Take two cups of flour and a spoon of sugar.
Mix the sugar with warm milk until the batter is smooth.
Leave the batter to rest for an hour under a cloth.
Bake the bread in a hot oven until the crust is brown.
Bake the cake in a warm oven until the top is golden.`;

/** `1,234,567` (no Intl: its first call can block the page for a long task). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export interface FinetunePanel {
  setReady(ready: boolean): void;
}

export function setupFinetunePanel(client: ModelClient, hooks: { onBusy(busy: boolean): void }): FinetunePanel {
  const el = {
    form: byId('ft-form', HTMLFormElement),
    text: byId('ft-text', HTMLTextAreaElement),
    sample: byId('ft-sample', HTMLButtonElement),
    method: byId('ft-method', HTMLSelectElement),
    lora: byId('ft-lora', HTMLFieldSetElement),
    r: byId('ft-r', HTMLInputElement),
    alpha: byId('ft-alpha', HTMLInputElement),
    targets: byId('ft-targets', HTMLInputElement),
    steps: byId('ft-steps', HTMLInputElement),
    lr: byId('ft-lr', HTMLInputElement),
    seed: byId('ft-seed', HTMLInputElement),
    saveEvery: byId('ft-save-every', HTMLInputElement),
    saved: byId('ft-saved', HTMLElement),
    savedText: byId('ft-saved-text', HTMLElement),
    resumeSaved: byId('ft-resume-saved', HTMLButtonElement),
    discardSaved: byId('ft-discard-saved', HTMLButtonElement),
    train: byId('ft-train', HTMLButtonElement),
    pause: byId('ft-pause', HTMLButtonElement),
    stop: byId('ft-stop', HTMLButtonElement),
    status: byId('ft-status', HTMLElement),
    curve: document.getElementById('ft-curve') as unknown as SVGPolylineElement,
    chart: byId('ft-chart', HTMLElement),
    tryPrompt: byId('ft-try-prompt', HTMLInputElement),
    tryButton: byId('ft-try', HTMLButtonElement),
    tryOut: byId('ft-try-out', HTMLElement),
    adapter: byId('ft-download-adapter', HTMLButtonElement),
    merged: byId('ft-download-merged', HTMLButtonElement),
  };
  let ready = false;
  let run: number | undefined;
  let trained = false;
  let lastMethod = 'lora';

  const sync = () => {
    el.train.disabled = !ready || run !== undefined;
    el.pause.disabled = run === undefined;
    el.stop.disabled = run === undefined;
    el.tryButton.disabled = !trained || run !== undefined;
    el.merged.disabled = !trained || run !== undefined;
    el.adapter.disabled = !trained || run !== undefined || lastMethod !== 'lora';
    el.lora.disabled = el.method.value !== 'lora';
    el.resumeSaved.disabled = !ready || run !== undefined;
  };
  el.method.addEventListener('change', sync);
  el.sample.addEventListener('click', () => (el.text.value = SAMPLE_TEXT));
  if (!el.text.value) el.text.value = SAMPLE_TEXT;

  const pause = pauseToggle(el.pause, el.chart, client, () => run);
  el.stop.addEventListener('click', () => run !== undefined && client.control(run, 'stop'));

  /** Runs a new fine-tuning request, or (`resume`) the run saved before a reload. */
  const startRun = (body: RequestBody, method: 'lora' | 'full') => {
    let losses: number[] = [];
    let maxSteps = el.steps.valueAsNumber;
    let started = 0;
    let firstStep = 0;
    el.saved.hidden = true;
    el.chart.dataset['state'] = 'running';
    el.chart.dataset['losses'] = '[]';
    delete el.chart.dataset['savedStep'];
    delete el.chart.dataset['resumedAt'];
    el.curve.setAttribute('points', '');
    el.status.textContent = body.type === 'finetune-resume' ? 'Loading the saved run…' : 'Loading a copy of the model to train…';
    hooks.onBusy(true);
    const { id, finished } = client.start(body, (e) => {
      if (e.type === 'train-begin') {
        maxSteps = e.maxSteps;
        started = performance.now();
        firstStep = e.resumedAt;
        losses = [...e.losses];
        el.chart.dataset['losses'] = JSON.stringify(losses);
        el.chart.dataset['resumedAt'] = String(e.resumedAt);
        el.curve.setAttribute('points', lossPolyline(losses, maxSteps, 300, 120));
        const pct = ((100 * e.trainable) / Math.max(e.total, 1)).toFixed(2);
        el.chart.dataset['trainable'] = String(e.trainable);
        const from = e.resumedAt ? `Resumed at step ${e.resumedAt}: training` : 'Training';
        el.status.textContent = `${from} ${thousands(e.trainable)} of ${thousands(e.total)} parameters (${pct} %) on ${e.examples} examples, on ${e.backend}…`;
      } else if (e.type === 'train-step') {
        losses.push(e.loss);
        const elapsed = (performance.now() - started) / 1000;
        const rate = (e.step - firstStep) / Math.max(elapsed, 1e-3);
        el.curve.setAttribute('points', lossPolyline(losses, maxSteps, 300, 120));
        el.chart.dataset['losses'] = JSON.stringify(losses);
        el.chart.setAttribute('aria-label', `Training loss over ${losses.length} steps: from ${losses[0]!.toFixed(3)} to ${e.loss.toFixed(3)}`);
        el.status.textContent = `step ${e.step}/${e.maxSteps} · loss ${e.loss.toFixed(4)} · ${rate.toFixed(2)} steps/s · ETA ${formatEta((e.maxSteps - e.step) / rate)}`;
      } else if (e.type === 'train-saved') {
        el.chart.dataset['savedStep'] = String(e.step);
      } else if (e.type === 'train-paused') {
        el.chart.dataset['pausedAt'] = String(e.step);
        el.status.textContent = `Paused after step ${e.step}. Resume or stop.`;
      } else if (e.type === 'train-end') {
        trained = true;
        lastMethod = method;
        el.tryOut.dataset['probeIds'] = JSON.stringify(e.probeIds);
        el.tryOut.dataset['probeLogits'] = JSON.stringify(e.probeLogits);
        const first = e.losses[0] ?? NaN;
        const last = e.losses.at(-1) ?? NaN;
        el.status.textContent = `${e.stopped ? 'Stopped' : 'Done'} after ${e.steps} steps: loss ${first.toFixed(4)} → ${last.toFixed(4)}. Try it, or download the ${method === 'lora' ? 'adapter or the ' : ''}merged model.`;
      }
    });
    run = id;
    pause.reset();
    sync();
    finished
      .then(() => (el.chart.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        el.chart.dataset['state'] = 'error';
        el.status.textContent = `Training failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        run = undefined;
        hooks.onBusy(false);
        sync();
      });
  };

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (run !== undefined || !ready) return;
    const method = el.method.value === 'full' ? 'full' : 'lora';
    startRun(
      {
        type: 'finetune',
        options: {
          text: el.text.value, method, r: el.r.valueAsNumber, alpha: el.alpha.valueAsNumber,
          targets: el.targets.value.split(',').map((t) => t.trim()).filter(Boolean),
          steps: el.steps.valueAsNumber, learningRate: el.lr.valueAsNumber, batchSize: 4, blockSize: 48,
          seed: el.seed.valueAsNumber, probe: el.tryPrompt.value, saveEvery: el.saveEvery.valueAsNumber || 0,
        },
      },
      method,
    );
  });

  /** Offers the run a reload interrupted (saved in IndexedDB by the worker), with its curve so far. */
  const offerSaved = (saved: SavedRunSummary) => {
    showSavedRun(el, saved, `An unfinished ${saved.method === 'lora' ? 'LoRA' : 'full'} fine-tuning run`);
    el.text.value = saved.options.text;
    el.method.value = saved.options.method;
    el.tryPrompt.value = saved.options.probe;
    sync();
  };
  el.resumeSaved.addEventListener('click', () => {
    if (run !== undefined || !ready) return;
    startRun({ type: 'finetune-resume' }, el.method.value === 'full' ? 'full' : 'lora');
  });
  el.discardSaved.addEventListener('click', () => {
    el.saved.hidden = true;
    el.chart.dataset['state'] = 'idle';
    el.chart.dataset['losses'] = '[]';
    el.curve.setAttribute('points', '');
    el.status.textContent = 'Train to see the loss fall.';
    void client.request({ type: 'discard-run' }).catch(() => undefined);
  });
  let asked = false;

  el.tryButton.addEventListener('click', () => {
    el.tryOut.textContent = '';
    el.tryOut.dataset['state'] = 'running';
    el.tryButton.disabled = true;
    client
      .request(
        { type: 'generate', options: { prompt: el.tryPrompt.value, maxNewTokens: 30, repetitionPenalty: 1.1, doSample: false, model: 'tuned' } },
        (e) => {
          if (e.type === 'token') el.tryOut.append(e.text);
        },
      )
      .then(() => (el.tryOut.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        el.tryOut.dataset['state'] = 'error';
        el.tryOut.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(sync);
  });

  const exportFiles = (what: 'adapter' | 'merged') => {
    void client
      .request({ type: 'export', what }, (e) => {
        if (e.type === 'files') for (const f of e.files) download(f.name, f.bytes);
      })
      .catch((error: unknown) => (el.status.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`));
  };
  el.adapter.addEventListener('click', () => exportFiles('adapter'));
  el.merged.addEventListener('click', () => exportFiles('merged'));

  sync();
  return {
    setReady(value) {
      ready = value;
      sync();
      // Once the model is loaded: is there a run that a reload interrupted?
      if (value && !asked) {
        asked = true;
        void client
          .request({ type: 'saved-run' }, (e) => e.type === 'saved-run' && e.run && run === undefined && offerSaved(e.run))
          .catch(() => undefined)
          .finally(() => (el.saved.dataset['checked'] = 'true'));
      }
    },
  };
}
