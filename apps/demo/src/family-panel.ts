/**
 * "Every family": fill-mask and NER (BERT), extractive QA (BERT), translation (BART, greedy or beam
 * search) and image classification (ViT) — each run in the worker by the same `pipeline()` users
 * call, on the embedded tiny model copied into the site, loaded on first use with its download
 * progress. The answer is shown (spans highlighted in the text) and kept as one string in
 * `data-answer` (see family-answer.ts), which the end-to-end test compares with Node's. A folder
 * URL or hub id in "Model" runs the task's pipeline on the user's own checkpoint instead.
 */
import type { ModelClient } from './client.js';
import { byId } from './dom.js';
import { familyAnswer, FAMILY_TASKS, type FamilyResults, type FamilyTask } from './family-answer.js';
import { formatBytes } from './text-spans.js';
import { modelFolderUrl } from './worker-util.js';

/** `text` with the `[start, end)` spans wrapped in <mark> (labelled), as DOM nodes. */
function highlighted(text: string, spans: { start: number; end: number; label: string }[]): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out.push(document.createTextNode(text.slice(at, s.start)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(s.start, s.end);
    mark.dataset['label'] = s.label;
    mark.title = s.label;
    const tag = document.createElement('small');
    tag.textContent = ` ${s.label}`;
    mark.append(tag);
    out.push(mark);
    at = s.end;
  }
  out.push(document.createTextNode(text.slice(at)));
  return out;
}

function table(rows: [string, number][]): HTMLElement {
  const list = document.createElement('ol');
  list.className = 'family-list';
  for (const [label, score] of rows) {
    const item = document.createElement('li');
    const bar = document.createElement('span');
    bar.className = 'family-bar';
    bar.style.width = `${Math.round(score * 100)}%`;
    item.append(`${label} `, bar, ` ${(score * 100).toFixed(1)} %`);
    list.append(item);
  }
  return list;
}

export function setupFamilyPanel(client: ModelClient): { setReady(ready: boolean): void } {
  const select = byId('fam-task', HTMLSelectElement);
  const form = byId('fam-form', HTMLFormElement);
  const text = byId('fam-text', HTMLTextAreaElement);
  const context = byId('fam-context', HTMLTextAreaElement);
  const beams = byId('fam-beams', HTMLSelectElement);
  const example = byId('fam-example', HTMLSelectElement);
  const upload = byId('fam-upload', HTMLInputElement);
  const preview = byId('fam-preview', HTMLImageElement);
  const canvas = byId('fam-draw', HTMLCanvasElement);
  const clear = byId('fam-draw-clear', HTMLButtonElement);
  const run = byId('fam-run', HTMLButtonElement);
  const status = byId('fam-status', HTMLElement);
  const progress = byId('fam-progress', HTMLProgressElement);
  const output = byId('fam-output', HTMLElement);
  const card = byId('fam-card', HTMLAnchorElement);
  const modelField = byId('fam-model-url', HTMLInputElement);
  const defaults: Record<FamilyTask, string> = {
    'fill-mask': 'Emma was very [MASK] to see him.',
    ner: 'Emma Woodhouse walked to Highbury with Mr. Knightley.',
    qa: 'Where did Emma walk?',
    translate: 'The house is small.',
    summarize: 'Emma was very happy. Mr. Knightley walked to Hartfield in the rain. He found her in the garden.',
    classify: '',
  };
  let ready = false;
  let busy = false;
  let uploaded: Uint8Array | undefined;
  const models = () => new URL('models/', document.baseURI).href;

  const show = () => {
    const task = select.value as FamilyTask;
    form.dataset['task'] = task;
    for (const el of form.querySelectorAll<HTMLElement>('[data-for]')) el.hidden = !el.dataset['for']!.split(' ').includes(task);
    if (task !== 'classify') text.value = defaults[task];
    const model = FAMILY_TASKS[task].model;
    card.href = `${models()}${model}/README.md`;
    card.textContent = model;
    run.disabled = !ready || busy;
  };
  // Drawing: white strokes on black; when a stroke ends, the canvas (as PNG bytes) is the image.
  const pen = canvas.getContext('2d')!;
  const blank = () => {
    pen.fillStyle = '#000';
    pen.fillRect(0, 0, canvas.width, canvas.height);
  };
  blank();
  let drawing = false;
  const at = (e: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((e.clientX - box.left) * canvas.width) / box.width, ((e.clientY - box.top) * canvas.height) / box.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    pen.strokeStyle = '#fff';
    pen.lineWidth = 10;
    pen.lineCap = 'round';
    pen.lineJoin = 'round';
    pen.beginPath();
    pen.moveTo(...at(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    pen.lineTo(...at(e));
    pen.stroke();
  });
  const endStroke = () => {
    if (!drawing) return;
    drawing = false;
    // Synchronously, so the bytes and the preview are the same drawing, whatever comes next.
    const url = canvas.toDataURL('image/png');
    uploaded = Uint8Array.from(atob(url.slice(url.indexOf(',') + 1)), (c) => c.charCodeAt(0));
    upload.value = '';
    preview.src = url;
    preview.dataset['source'] = 'drawing';
  };
  canvas.addEventListener('pointerup', endStroke);
  canvas.addEventListener('pointercancel', endStroke);
  clear.addEventListener('click', () => {
    blank();
    showExample();
  });

  const showExample = () => {
    uploaded = undefined;
    delete preview.dataset['source'];
    upload.value = '';
    preview.src = `${models()}tiny-vit-fashion/examples/${example.value}`;
  };
  select.addEventListener('change', show);
  example.addEventListener('change', showExample);
  upload.addEventListener('change', () => {
    const file = upload.files?.[0];
    if (!file) return showExample();
    void file.arrayBuffer().then((b) => {
      uploaded = new Uint8Array(b);
      preview.src = URL.createObjectURL(file);
    });
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const task = select.value as FamilyTask;
      const own = modelField.value.trim();
      const modelUrl = own ? modelFolderUrl(own, document.baseURI) : undefined;
      if (own && !modelUrl) {
        output.dataset['state'] = 'error';
        output.replaceChildren();
        status.textContent = `"${own}" is not a model folder: give an http(s) URL of a folder holding config.json, model.safetensors and tokenizer.json, or a hub id such as owner/name (or leave Model empty for the embedded model).`;
        return;
      }
      busy = true;
      run.disabled = true;
      output.dataset['state'] = 'running';
      delete output.dataset['answer'];
      status.textContent = 'Running…';
      try {
        let image: Uint8Array | undefined;
        let vit: { side: number; patchSize: number; maps: number[][][] } | undefined;
        let cross: { source: string[]; target: string[]; maps: number[][][] } | undefined;
        if (task === 'classify') image = uploaded ?? new Uint8Array(await (await fetch(`${models()}tiny-vit-fashion/examples/${example.value}`)).arrayBuffer());
        const input = text.value;
        const ctx = context.value;
        await client.request({ type: 'family', options: { task, text: input, context: ctx, image, numBeams: Number(beams.value), modelsUrl: models(), ...(modelUrl ? { modelUrl } : {}) } }, (e) => {
          if (e.type === 'progress') {
            progress.hidden = false;
            if (e.total) progress.max = e.total;
            progress.value = e.loaded;
            status.textContent = `Loading ${e.file}: ${formatBytes(e.loaded)}${e.total ? ` of ${formatBytes(e.total)} (${Math.round((100 * e.loaded) / e.total)} %)` : ''}`;
          } else if (e.type === 'cross-attention') {
            cross = { source: e.source, target: e.target, maps: e.maps };
          } else if (e.type === 'vit-attention') {
            vit = { side: e.side, patchSize: e.patchSize, maps: e.maps };
          } else if (e.type === 'family-result') {
            const answer = familyAnswer(task, e.result as FamilyResults[typeof task]);
            output.replaceChildren(...render(task, e.result, input, ctx));
            if (task === 'classify' && vit) output.append(vitAttentionView(vit.side, vit.patchSize, vit.maps, preview.src));
            if (task === 'translate' && cross) output.append(crossAttentionView(cross.source, cross.target, cross.maps));
            output.dataset['answer'] = answer;
            output.dataset['state'] = 'done';
            const which = modelUrl ? ` with ${modelUrl}` : '';
            status.textContent = `${FAMILY_TASKS[task].pipeline}${which} on ${e.backend} in ${Math.round(e.ms)} ms${e.loaded ? ' (model loaded for this run)' : ''}.`;
          }
        });
      } catch (error) {
        output.dataset['state'] = 'error';
        output.replaceChildren();
        status.textContent = `Could not run: ${error instanceof Error ? error.message : String(error)}`;
      } finally {
        progress.hidden = true;
        busy = false;
        run.disabled = !ready;
      }
    })();
  });

  /** Layer and head pickers for an attention view; calls `draw` on change. */
  function layerHeadPickers(prefix: string, layers: number, heads: number, draw: () => void): { controls: HTMLElement; layer: HTMLSelectElement; head: HTMLSelectElement } {
    const controls = document.createElement('div');
    controls.className = 'attn-controls';
    const pick = (id: string, label: string, count: number) => {
      const l = Object.assign(document.createElement('label'), { htmlFor: id, textContent: label });
      const sel = Object.assign(document.createElement('select'), { id });
      sel.append(...Array.from({ length: count }, (_, i) => Object.assign(document.createElement('option'), { value: String(i), textContent: String(i) })));
      sel.addEventListener('change', draw);
      controls.append(l, sel);
      return sel;
    };
    return { controls, layer: pick(`${prefix}-layer`, 'Layer', layers), head: pick(`${prefix}-head`, 'Head', heads) };
  }

  /**
   * The translation's cross-attention: one row per target token (the decoder step that produced
   * it), one column per source token, shaded by the weight (each row sums to 1), per layer and head.
   */
  function crossAttentionView(source: string[], target: string[], maps: number[][][]): HTMLElement {
    const box = document.createElement('figure');
    box.className = 'cross-attn';
    box.dataset['maps'] = JSON.stringify(maps);
    box.dataset['source'] = JSON.stringify(source);
    box.dataset['target'] = JSON.stringify(target);
    const label = (t: string) => t.replace(/Ġ/g, '␣').replace(/Ċ/g, '↵');
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    head.append(Object.assign(document.createElement('th'), { textContent: 'target ↓ · source →' }), ...source.map((t) => Object.assign(document.createElement('th'), { scope: 'col', textContent: label(t) })));
    const body = table.createTBody();
    const cells = target.map((t) => {
      const row = body.insertRow();
      row.append(Object.assign(document.createElement('th'), { scope: 'row', textContent: label(t) }));
      return source.map(() => row.insertCell());
    });
    const caption = document.createElement('figcaption');
    const draw = () => {
      const map = maps[Number(pickers.layer.value)]?.[Number(pickers.head.value)] ?? [];
      cells.forEach((row, i) => row.forEach((cell, j) => {
        const v = map[i * source.length + j] ?? 0;
        cell.style.setProperty('--w', v.toFixed(3));
        cell.title = `${label(target[i]!)} → ${label(source[j]!)}: ${(100 * v).toFixed(1)} %`;
      }));
      box.dataset['layer'] = pickers.layer.value;
      box.dataset['head'] = pickers.head.value;
      caption.textContent = `Cross-attention, layer ${pickers.layer.value} head ${pickers.head.value}: where the decoder looked in the source while producing each target token (a row sums to 100 %).`;
    };
    const pickers = layerHeadPickers('cross', maps.length, maps[0]?.length ?? 0, draw);
    draw();
    const scroll = document.createElement('div');
    scroll.className = 'cross-scroll';
    scroll.append(table);
    box.append(pickers.controls, scroll, caption);
    return box;
  }

  /**
   * The image cut into its patches (the grid ViT reads) with the attention of [CLS] over them as
   * a heat overlay, per layer and head; the scale is each map's own maximum.
   */
  function vitAttentionView(side: number, patchSize: number, maps: number[][][], src: string): HTMLElement {
    const box = document.createElement('figure');
    box.className = 'vit-attn';
    box.dataset['side'] = String(side);
    box.dataset['maps'] = JSON.stringify(maps);
    const { controls, layer, head } = layerHeadPickers('vit', maps.length, maps[0]?.length ?? 0, () => draw());
    const grid = document.createElement('div');
    grid.className = 'vit-grid';
    grid.style.setProperty('--side', String(side));
    grid.style.backgroundImage = `url("${src}")`;
    grid.setAttribute('role', 'img');
    const cells = Array.from({ length: side * side }, () => grid.appendChild(document.createElement('span')));
    const caption = document.createElement('figcaption');
    const draw = () => {
      const map = maps[Number(layer.value)]?.[Number(head.value)] ?? [];
      const max = Math.max(...map, 1e-9);
      map.forEach((v, i) => {
        const cell = cells[i]!;
        cell.style.setProperty('--w', (v / max).toFixed(3));
        cell.title = `patch ${i} (row ${Math.floor(i / side)}, column ${i % side}): ${(100 * v).toFixed(1)} %`;
      });
      const top = map.indexOf(Math.max(...map));
      grid.setAttribute('aria-label', `Attention of [CLS] over ${side} × ${side} patches, layer ${layer.value}, head ${head.value}: highest on patch ${top} (${(100 * (map[top] ?? 0)).toFixed(1)} %)`);
      box.dataset['layer'] = layer.value;
      box.dataset['head'] = head.value;
      caption.textContent = `${side} × ${side} patches of ${patchSize} × ${patchSize} px; the attention of [CLS] over them, layer ${layer.value} head ${head.value} (the most orange patch holds ${(100 * max).toFixed(1)} % of it; [CLS] also attends to itself).`;
    };
    draw();
    box.append(controls, grid, caption);
    return box;
  }

  function render(task: FamilyTask, result: unknown, input: string, ctx: string): Node[] {
    switch (task) {
      case 'fill-mask':
        return [table((result as FamilyResults['fill-mask']).map((c) => [c.tokenStr.trim(), c.score]))];
      case 'ner': {
        const entities = result as FamilyResults['ner'];
        if (entities.length === 0) return [document.createTextNode('No entity found.')];
        const p = document.createElement('p');
        p.append(...highlighted(input, entities.map((e) => ({ start: e.start, end: e.end, label: e.entityGroup }))));
        return [p];
      }
      case 'qa': {
        const a = result as FamilyResults['qa'];
        const p = document.createElement('p');
        p.append(...highlighted(ctx, [{ start: a.start, end: a.end, label: `answer ${(a.score * 100).toFixed(1)} %` }]));
        return [p];
      }
      case 'summarize': {
        const p = document.createElement('p');
        p.className = 'gen-output';
        p.textContent = (result as FamilyResults['summarize']).map((t) => t.summaryText.trim()).join('\n');
        return [p];
      }
      case 'translate': {
        const p = document.createElement('p');
        p.className = 'gen-output';
        p.textContent = (result as FamilyResults['translate']).map((t) => t.translationText.trim()).join('\n');
        return [p];
      }
      default:
        return [table((result as FamilyResults['classify']).map((l) => [l.label, l.score]))];
    }
  }

  show();
  showExample();
  return {
    setReady(r) {
      ready = r;
      run.disabled = !ready || busy;
    },
  };
}
