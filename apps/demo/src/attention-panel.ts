/**
 * Attention heat map of the last generation: the worker runs one forward pass over prompt +
 * continuation with `outputAttentions` and sends the maps per layer and head (`[T, T]` causal
 * maps, T ≤ 128); they are drawn on a canvas. Hovering a cell names the query and key tokens and the weight.
 */
import { byId } from './dom.js';
import { displayPiece, heatColor, meanOf } from './text-spans.js';

interface AttentionMaps {
  tokens: string[];
  /** `[layer][head]` → row-major `[T, T]` probabilities. */
  maps: Float32Array[][];
}

export interface AttentionPanel {
  /** Draws the maps the worker computed (`[layer][head]` → `[T, T]`) over `tokens`. */
  show(tokens: string[], maps: Float32Array[][]): void;
}

export function setupAttentionPanel(): AttentionPanel {
  const layerSelect = byId('attn-layer', HTMLSelectElement);
  const headSelect = byId('attn-head', HTMLSelectElement);
  const canvas = byId('attn-canvas', HTMLCanvasElement);
  const readout = byId('attn-readout', HTMLElement);
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  let current: AttentionMaps | undefined;
  let cell: [number, number] = [0, 0];

  const selected = (): Float32Array | undefined => {
    const heads = current?.maps[Number(layerSelect.value)];
    if (!heads) return undefined;
    return headSelect.value === 'mean' ? meanOf(heads) : heads[Number(headSelect.value)];
  };

  const draw = () => {
    const map = selected();
    const ctx = canvas.getContext('2d');
    if (!map || !current || !ctx) return;
    const t = current.tokens.length;
    const image = new ImageData(t, t);
    for (let i = 0; i < t * t; i++) {
      const [r, g, b] = heatColor(map[i]!, dark.matches);
      image.data.set([r, g, b, 255], 4 * i);
    }
    // Paint the T×T image once, then scale it up without smoothing: one square per token pair.
    const small = document.createElement('canvas');
    small.width = t;
    small.height = t;
    small.getContext('2d')?.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const head = headSelect.value === 'mean' ? 'mean of the heads' : `head ${Number(headSelect.value) + 1}`;
    canvas.setAttribute('aria-label', `Attention of layer ${Number(layerSelect.value) + 1}, ${head}, over ${t} tokens`);
    canvas.dataset['tokens'] = String(t);
  };

  /** Names the cell (query `row`, key `col`) and its weight. */
  const inspect = (row: number, col: number) => {
    const map = selected();
    if (!map || !current) return;
    const t = current.tokens.length;
    if (row < 0 || col < 0 || row >= t || col >= t) return;
    cell = [row, col];
    const q = displayPiece(current.tokens[row]!);
    const k = displayPiece(current.tokens[col]!);
    readout.textContent = `“${q}” (token ${row + 1}) → “${k}” (token ${col + 1}): ${map[row * t + col]!.toFixed(3)}`;
  };

  canvas.addEventListener('mousemove', (event) => {
    const t = current?.tokens.length ?? 0;
    const box = canvas.getBoundingClientRect();
    inspect(Math.floor(((event.clientY - box.top) / box.height) * t), Math.floor(((event.clientX - box.left) / box.width) * t));
  });
  // Keyboard: arrow keys move across the cells from the last one read.
  const steps: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  canvas.addEventListener('keydown', (event) => {
    const step = steps[event.key];
    if (!step || !current) return;
    event.preventDefault();
    inspect(cell[0] + step[0], cell[1] + step[1]);
  });
  layerSelect.addEventListener('change', draw);
  headSelect.addEventListener('change', draw);
  dark.addEventListener('change', draw);

  const fill = (select: HTMLSelectElement, count: number, label: (i: number) => string, extra?: [string, string]) => {
    if (select.options.length > 0) return;
    if (extra) select.append(new Option(extra[1], extra[0]));
    for (let i = 0; i < count; i++) select.append(new Option(label(i), String(i)));
    select.disabled = false;
  };

  return {
    show(tokens, maps) {
      current = { tokens, maps };
      fill(layerSelect, maps.length, (i) => `${i + 1}`);
      fill(headSelect, maps[0]?.length ?? 0, (i) => `${i + 1}`, ['mean', 'mean']);
      cell = [0, 0];
      draw();
      readout.textContent = `${tokens.length} tokens. Hover the map (or focus it and use the arrow keys) to read a weight.`;
    },
  };
}
