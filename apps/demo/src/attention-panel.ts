/**
 * Attention heat map of the last generation: the worker runs one forward pass over prompt +
 * continuation with `outputAttentions` and sends the maps per layer and head (`[T, T]` causal
 * maps, T ≤ 128); they are drawn on a canvas with the tokens on both axes (keys on top, queries
 * on the left) and a colour scale below. Hovering a cell names the query and key tokens and the weight.
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
    const { margin, size } = grid();
    ctx.drawImage(small, margin, margin, size, size);
    drawLabels(ctx, current.tokens, margin, size);
    const head = headSelect.value === 'mean' ? 'mean of the heads' : `head ${Number(headSelect.value) + 1}`;
    canvas.setAttribute('aria-label', `Attention of layer ${Number(layerSelect.value) + 1}, ${head}, over ${t} tokens`);
    canvas.dataset['tokens'] = String(t);
  };

  /** The map's square (canvas pixels): labels in the `margin` left of and above it. */
  const grid = () => {
    const margin = Math.round(canvas.width * 0.2);
    return { margin, size: canvas.width - margin };
  };

  /** Token labels: keys along the top (rotated), queries down the left; every `step`-th when crowded. */
  const drawLabels = (ctx: CanvasRenderingContext2D, tokens: string[], margin: number, size: number) => {
    const t = tokens.length;
    const cellSize = size / t;
    const font = Math.max(8, Math.min(13, Math.floor(cellSize * 0.8)));
    const step = Math.max(1, Math.ceil((font + 1) / cellSize));
    const style = getComputedStyle(canvas);
    ctx.fillStyle = style.color || (dark.matches ? '#ddd' : '#222');
    ctx.font = `${font}px ${style.fontFamily || 'sans-serif'}`;
    ctx.textBaseline = 'middle';
    const label = (piece: string) => {
      const text = displayPiece(piece);
      return text.length > 10 ? `${text.slice(0, 9)}…` : text;
    };
    for (let i = 0; i < t; i += step) {
      const centre = margin + (i + 0.5) * cellSize;
      ctx.textAlign = 'right';
      ctx.fillText(label(tokens[i]!), margin - 4, centre, margin - 6);
      ctx.save();
      ctx.translate(centre, margin - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.fillText(label(tokens[i]!), 0, 0, margin - 6);
      ctx.restore();
    }
    canvas.dataset['labelStep'] = String(step);
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
    const { margin, size } = grid();
    const at = (client: number, start: number, extent: number) => Math.floor((((client - start) / extent) * canvas.width - margin) / size * t);
    inspect(at(event.clientY, box.top, box.height), at(event.clientX, box.left, box.width));
  });
  // Keyboard: arrow keys move across the cells from the last one read.
  const steps: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  canvas.addEventListener('keydown', (event) => {
    const step = steps[event.key];
    if (!step || !current) return;
    event.preventDefault();
    inspect(cell[0] + step[0], cell[1] + step[1]);
  });
  /** The colour scale: weights 0…1 (the colour grows with √weight, so small weights stay visible). */
  const legend = document.getElementById('attn-legend');
  const drawLegend = () => {
    if (!legend) return;
    const stops = Array.from({ length: 11 }, (_, i) => {
      const [r, g, b] = heatColor((i / 10) ** 2, dark.matches);
      return `rgb(${r} ${g} ${b}) ${i * 10}%`;
    });
    const bar = document.createElement('div');
    bar.className = 'attn-legend-bar';
    bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
    const ticks = document.createElement('div');
    ticks.className = 'attn-legend-ticks';
    for (const p of [0, 0.05, 0.25, 0.5, 1]) {
      const tick = document.createElement('span');
      tick.textContent = String(p);
      tick.style.left = `${Math.sqrt(p) * 100}%`;
      ticks.append(tick);
    }
    const caption = document.createElement('span');
    caption.className = 'hint';
    caption.textContent = 'attention weight (query row → key column)';
    legend.replaceChildren(bar, ticks, caption);
  };
  drawLegend();
  dark.addEventListener('change', drawLegend);
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
