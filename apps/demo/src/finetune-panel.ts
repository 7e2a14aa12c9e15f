/**
 * Fine-tune in the browser: causal-LM LoRA (or full fine-tuning) of the tiny GPT-2 on pasted text,
 * trained in the model worker with @tfkit/finetune's Trainer. Shows a live loss curve, steps/s and
 * the ETA, with pause / resume / stop; then "try it" generates with the adapted model, and the
 * adapter (PEFT's adapter_config.json + adapter_model.safetensors) or the merged checkpoint downloads.
 */
import { download, type ModelClient } from './client.js';
import { byId } from './dom.js';
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
  let paused = false;
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
  };
  el.method.addEventListener('change', sync);
  el.sample.addEventListener('click', () => (el.text.value = SAMPLE_TEXT));
  if (!el.text.value) el.text.value = SAMPLE_TEXT;

  el.pause.addEventListener('click', () => {
    if (run === undefined) return;
    paused = !paused;
    client.control(run, paused ? 'pause' : 'resume');
    delete el.chart.dataset['pausedAt'];
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.chart.dataset['paused'] = String(paused);
  });
  el.stop.addEventListener('click', () => run !== undefined && client.control(run, 'stop'));

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (run !== undefined || !ready) return;
    const method = el.method.value === 'full' ? 'full' : 'lora';
    const losses: number[] = [];
    let maxSteps = el.steps.valueAsNumber;
    let started = 0;
    el.chart.dataset['state'] = 'running';
    el.chart.dataset['losses'] = '[]';
    el.curve.setAttribute('points', '');
    el.status.textContent = 'Loading a copy of the model to train…';
    hooks.onBusy(true);
    const probe = el.tryPrompt.value;
    const { id, finished } = client.start(
      {
        type: 'finetune',
        options: {
          text: el.text.value, method, r: el.r.valueAsNumber, alpha: el.alpha.valueAsNumber,
          targets: el.targets.value.split(',').map((t) => t.trim()).filter(Boolean),
          steps: el.steps.valueAsNumber, learningRate: el.lr.valueAsNumber, batchSize: 4, blockSize: 48,
          seed: el.seed.valueAsNumber, probe,
        },
      },
      (e) => {
        if (e.type === 'train-begin') {
          maxSteps = e.maxSteps;
          started = performance.now();
          const pct = ((100 * e.trainable) / Math.max(e.total, 1)).toFixed(2);
          el.chart.dataset['trainable'] = String(e.trainable);
          el.status.textContent = `Training ${thousands(e.trainable)} of ${thousands(e.total)} parameters (${pct} %) on ${e.examples} examples, on ${e.backend}…`;
        } else if (e.type === 'train-step') {
          losses.push(e.loss);
          const elapsed = (performance.now() - started) / 1000;
          const rate = e.step / Math.max(elapsed, 1e-3);
          el.curve.setAttribute('points', lossPolyline(losses, maxSteps, 300, 120));
          el.chart.dataset['losses'] = JSON.stringify(losses);
          el.chart.setAttribute('aria-label', `Training loss over ${losses.length} steps: from ${losses[0]!.toFixed(3)} to ${e.loss.toFixed(3)}`);
          el.status.textContent = `step ${e.step}/${e.maxSteps} · loss ${e.loss.toFixed(4)} · ${rate.toFixed(2)} steps/s · ETA ${formatEta((e.maxSteps - e.step) / rate)}`;
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
      },
    );
    run = id;
    paused = false;
    el.pause.textContent = 'Pause';
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
  });

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
    },
  };
}
