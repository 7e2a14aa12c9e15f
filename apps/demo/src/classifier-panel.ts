/**
 * Fine-tune a text classifier in the browser: labelled examples pasted, dropped or opened as CSV or
 * JSONL (errors name the line), some of each label held out; LoRA on the tiny BERT with a new
 * classifier head, trained in the model worker with @tfkit/finetune's Trainer, with the loss curve
 * and the held-out accuracy live; then classify a sentence and download the adapter (PEFT's files;
 * the head is saved with it as `modules_to_save`).
 */
import { download, type ModelClient } from './client.js';
import { byId } from './dom.js';
import { pauseToggle } from './pause-toggle.js';
import { heldOut, LabelledDataError, parseLabelled, SAMPLE_CSV, type LabelledData } from './labelled-data.js';
import { showSavedRun } from './saved-run-offer.js';
import { formatEta, lossPolyline } from './text-spans.js';
import type { ClassifierRequest, SavedClassifierRunSummary } from './protocol.js';

export interface ClassifierPanel {
  setReady(ready: boolean): void;
}

function softmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function setupClassifierPanel(client: ModelClient, hooks: { onBusy(busy: boolean): void; modelUrl(): string }): ClassifierPanel {
  const el = {
    form: byId('cls-form', HTMLFormElement),
    data: byId('cls-data', HTMLTextAreaElement),
    sample: byId('cls-sample', HTMLButtonElement),
    file: byId('cls-file', HTMLInputElement),
    dataStatus: byId('cls-data-status', HTMLElement),
    heldOut: byId('cls-heldout', HTMLInputElement),
    r: byId('cls-r', HTMLInputElement),
    alpha: byId('cls-alpha', HTMLInputElement),
    targets: byId('cls-targets', HTMLInputElement),
    steps: byId('cls-steps', HTMLInputElement),
    lr: byId('cls-lr', HTMLInputElement),
    seed: byId('cls-seed', HTMLInputElement),
    evalEvery: byId('cls-eval-every', HTMLInputElement),
    train: byId('cls-train', HTMLButtonElement),
    pause: byId('cls-pause', HTMLButtonElement),
    saveEvery: byId('cls-save-every', HTMLInputElement),
    saved: byId('cls-saved', HTMLElement),
    savedText: byId('cls-saved-text', HTMLElement),
    resumeSaved: byId('cls-resume-saved', HTMLButtonElement),
    discardSaved: byId('cls-discard-saved', HTMLButtonElement),
    stop: byId('cls-stop', HTMLButtonElement),
    chart: byId('cls-chart', HTMLElement),
    curve: document.getElementById('cls-curve') as unknown as SVGPolylineElement,
    status: byId('cls-status', HTMLElement),
    accuracy: byId('cls-accuracy', HTMLElement),
    tryText: byId('cls-try-text', HTMLInputElement),
    tryButton: byId('cls-try', HTMLButtonElement),
    tryOut: byId('cls-try-out', HTMLElement),
    download: byId('cls-download', HTMLButtonElement),
  };
  let ready = false;
  let run: number | undefined;
  let trained = false;
  let data: LabelledData | undefined;

  const sync = () => {
    el.train.disabled = !ready || run !== undefined || data === undefined;
    el.stop.disabled = run === undefined;
    el.pause.disabled = run === undefined;
    el.resumeSaved.disabled = !ready || run !== undefined;
    el.tryButton.disabled = !trained || run !== undefined;
    el.download.disabled = !trained || run !== undefined;
  };

  /** Parses the examples as they are typed; the status says what was read or which line is wrong. */
  const check = () => {
    delete el.dataStatus.dataset['line'];
    if (el.data.value.trim() === '') {
      data = undefined;
      el.dataStatus.dataset['state'] = 'empty';
      el.dataStatus.textContent = 'No examples yet: paste or drop CSV or JSONL, or use the sample.';
    } else {
      try {
        data = parseLabelled(el.data.value);
        const split = heldOut(data.examples, el.heldOut.valueAsNumber / 100);
        el.dataStatus.dataset['state'] = 'ok';
        el.dataStatus.textContent = `${data.examples.length} examples (${data.format.toUpperCase()}), ${data.labels.length} labels: ${data.labels.join(', ')} — ${split.train.length} to train on, ${split.eval.length} held out.`;
      } catch (error) {
        data = undefined;
        el.dataStatus.dataset['state'] = 'error';
        if (error instanceof LabelledDataError && error.line !== undefined) el.dataStatus.dataset['line'] = String(error.line);
        el.dataStatus.textContent = error instanceof Error ? error.message : String(error);
      }
    }
    sync();
  };
  el.data.addEventListener('input', check);
  el.heldOut.addEventListener('input', check);
  el.sample.addEventListener('click', () => {
    el.data.value = SAMPLE_CSV;
    check();
  });
  const readFile = (file: File) => {
    void file.text().then((text) => {
      el.data.value = text;
      check();
    });
  };
  el.file.addEventListener('change', () => {
    const file = el.file.files?.[0];
    if (file) readFile(file);
  });
  el.data.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.data.classList.add('dragging');
  });
  el.data.addEventListener('dragleave', () => el.data.classList.remove('dragging'));
  el.data.addEventListener('drop', (e) => {
    el.data.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    readFile(file);
  });

  el.stop.addEventListener('click', () => run !== undefined && client.control(run, 'stop'));
  const pause = pauseToggle(el.pause, el.chart, client, () => run);

  /** Runs a new classifier request, or (`classifier-resume`) the run saved before a reload, whose curve and evaluations so far are `prior`. */
  const startRun = (body: { type: 'classifier-train'; options: ClassifierRequest } | { type: 'classifier-resume' }, evalCount: number, prior?: SavedClassifierRunSummary) => {
    const losses: number[] = prior ? [...prior.losses] : [];
    const history: { step: number; accuracy: number }[] = prior ? prior.evals.map(({ step, accuracy }) => ({ step, accuracy })) : [];
    let started = 0;
    let firstStep = 0;
    trained = false;
    el.saved.hidden = true;
    el.tryOut.replaceChildren();
    el.tryOut.dataset['state'] = 'idle';
    el.chart.dataset['state'] = 'running';
    el.chart.dataset['losses'] = JSON.stringify(losses);
    delete el.chart.dataset['resumedAt'];
    delete el.chart.dataset['savedAt'];
    delete el.chart.dataset['pausedAt'];
    el.accuracy.dataset['history'] = JSON.stringify(history);
    el.accuracy.textContent = evalCount ? 'Held-out accuracy: measured every few steps.' : 'Held-out accuracy: no example held out (too few of each label).';
    delete el.status.dataset['state'];
    el.status.textContent = prior ? 'Loading the saved run…' : 'Loading the tiny BERT…';
    hooks.onBusy(true);
    const { id, finished } = client.start(body, (e) => {
      if (e.type === 'progress') {
        el.status.textContent = `Loading ${e.file}${e.total ? ` (${Math.round((100 * e.loaded) / e.total)} %)` : ''}…`;
      } else if (e.type === 'train-begin') {
        started = performance.now();
        firstStep = e.resumedAt;
        if (e.resumedAt) el.chart.dataset['resumedAt'] = String(e.resumedAt);
        const from = e.resumedAt ? `Resumed at step ${e.resumedAt}: training` : 'Training';
        el.status.textContent = `${from} ${e.trainable} of ${e.total} parameters (LoRA + the classifier head) on ${e.examples} examples, on ${e.backend}…`;
      } else if (e.type === 'train-step') {
        losses.push(e.loss);
        const rate = (e.step - firstStep) / Math.max((performance.now() - started) / 1000, 1e-3);
        el.curve.setAttribute('points', lossPolyline(losses, e.maxSteps, 300, 120));
        el.chart.dataset['losses'] = JSON.stringify(losses);
        el.chart.setAttribute('aria-label', `Training loss over ${losses.length} steps: from ${losses[0]!.toFixed(3)} to ${e.loss.toFixed(3)}`);
        el.status.textContent = `step ${e.step}/${e.maxSteps} · loss ${e.loss.toFixed(4)} · ${rate.toFixed(2)} steps/s · ETA ${formatEta((e.maxSteps - e.step) / Math.max(rate, 1e-6))}`;
      } else if (e.type === 'train-saved') {
        el.chart.dataset['savedAt'] = String(e.step);
      } else if (e.type === 'train-paused') {
        el.chart.dataset['pausedAt'] = String(e.step);
        el.status.textContent = `Paused after step ${e.step}. Resume or stop.`;
      } else if (e.type === 'train-eval') {
        history.push({ step: e.step, accuracy: e.accuracy });
        el.accuracy.dataset['history'] = JSON.stringify(history);
        el.accuracy.textContent = `Held-out accuracy after step ${e.step}: ${(100 * e.accuracy).toFixed(1)} % of ${evalCount} (eval loss ${e.loss.toFixed(4)})`;
      } else if (e.type === 'train-end') {
        trained = true;
        el.status.textContent = `${e.stopped ? 'Stopped' : 'Done'} after ${e.steps} steps: loss ${(losses[0] ?? NaN).toFixed(4)} → ${(losses.at(-1) ?? NaN).toFixed(4)}. Try it, or download the adapter.`;
      }
    });
    run = id;
    sync();
    finished
      .then(() => (el.chart.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        el.chart.dataset['state'] = 'error';
        el.status.dataset['state'] = 'error';
        el.status.textContent = `Training failed: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        run = undefined;
        pause.reset();
        hooks.onBusy(false);
        sync();
      });
  };

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (run !== undefined || !ready || !data) return;
    const split = heldOut(data.examples, el.heldOut.valueAsNumber / 100);
    startRun(
      {
        type: 'classifier-train',
        options: {
          modelUrl: hooks.modelUrl(), train: split.train, eval: split.eval, labels: data.labels,
          r: el.r.valueAsNumber, alpha: el.alpha.valueAsNumber,
          targets: el.targets.value.split(',').map((t) => t.trim()).filter(Boolean),
          steps: el.steps.valueAsNumber, learningRate: el.lr.valueAsNumber, batchSize: 8,
          evalEvery: el.evalEvery.valueAsNumber, seed: el.seed.valueAsNumber, saveEvery: el.saveEvery.valueAsNumber,
        },
      },
      split.eval.length,
    );
  });

  /** Offers the run a reload interrupted (saved in IndexedDB by the worker), with its curve and evaluations so far. */
  let savedRun: SavedClassifierRunSummary | undefined;
  const offerSaved = (saved: SavedClassifierRunSummary) => {
    savedRun = saved;
    showSavedRun(el, saved, 'An unfinished classifier run');
    el.accuracy.dataset['history'] = JSON.stringify(saved.evals.map(({ step, accuracy }) => ({ step, accuracy })));
    el.evalEvery.value = String(saved.options.evalEvery);
    sync();
  };
  el.resumeSaved.addEventListener('click', () => {
    if (run !== undefined || !ready || !savedRun) return;
    const prior = savedRun;
    savedRun = undefined;
    startRun({ type: 'classifier-resume' }, prior.options.eval.length, prior);
  });
  el.discardSaved.addEventListener('click', () => {
    savedRun = undefined;
    el.saved.hidden = true;
    el.chart.dataset['state'] = 'idle';
    el.chart.dataset['losses'] = '[]';
    el.accuracy.dataset['history'] = '[]';
    el.curve.setAttribute('points', '');
    el.status.textContent = 'Train to see the loss fall.';
    void client.request({ type: 'classifier-discard-run' }).catch(() => undefined);
  });
  let asked = false;

  el.tryButton.addEventListener('click', () => {
    el.tryOut.dataset['state'] = 'running';
    el.tryButton.disabled = true;
    const text = el.tryText.value;
    client
      .request({ type: 'classify-text', texts: [text] }, (e) => {
        if (e.type !== 'classified') return;
        const row = e.logits[0]!;
        const scores = softmax(row).map((p, i) => ({ label: e.labels[i]!, p })).sort((a, b) => b.p - a.p);
        el.tryOut.dataset['logits'] = JSON.stringify(row);
        el.tryOut.dataset['label'] = scores[0]!.label;
        el.tryOut.replaceChildren(...scores.map(({ label, p }) => Object.assign(document.createElement('li'), { textContent: `${label} — ${(100 * p).toFixed(1)} %` })));
      })
      .then(() => (el.tryOut.dataset['state'] = 'done'))
      .catch((error: unknown) => {
        el.tryOut.dataset['state'] = 'error';
        el.tryOut.replaceChildren(Object.assign(document.createElement('li'), { textContent: `Failed: ${error instanceof Error ? error.message : String(error)}` }));
      })
      .finally(sync);
  });

  el.download.addEventListener('click', () => {
    void client
      .request({ type: 'export', what: 'classifier-adapter' }, (e) => {
        if (e.type === 'files') for (const f of e.files) download(f.name, f.bytes);
      })
      .catch((error: unknown) => (el.status.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`));
  });

  check();
  return {
    setReady(value) {
      ready = value;
      // A backend switch reloads the worker's models: the last classifier is gone with them.
      if (!value) trained = false;
      sync();
      // Once the worker is up: is there a classifier run that a reload interrupted?
      if (value && !asked) {
        asked = true;
        void client
          .request({ type: 'classifier-saved-run' }, (e) => e.type === 'classifier-saved-run' && e.run && run === undefined && offerSaved(e.run))
          .catch(() => undefined)
          .finally(() => (el.saved.dataset['checked'] = 'true'));
      }
    },
  };
}
