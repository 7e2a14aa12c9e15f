/** Pure helpers behind the panels: no DOM, no tensors (unit-tested in text-spans.test.ts). */

/** A stretch of the input text and the tokens whose offsets cover it (none for uncovered text). */
export interface Segment {
  start: number;
  end: number;
  tokens: number[];
}

/**
 * Cuts `text` into the spans the tokens cover, in order, with the uncovered gaps between them.
 * Byte-level BPE can split one character (an emoji, an accented letter) into several tokens with
 * overlapping offsets: those tokens share one segment.
 */
export function tokenSegments(length: number, offsets: readonly (readonly [number, number])[]): Segment[] {
  const segments: Segment[] = [];
  let cursor = 0;
  offsets.forEach(([start, end], token) => {
    if (end <= start) return; // special tokens carry no characters
    const last = segments[segments.length - 1];
    if (last && last.tokens.length > 0 && start < last.end) {
      last.tokens.push(token);
      last.end = Math.max(last.end, end);
      cursor = Math.max(cursor, end);
      return;
    }
    if (start > cursor) segments.push({ start: cursor, end: start, tokens: [] });
    segments.push({ start, end, tokens: [token] });
    cursor = end;
  });
  if (cursor < length) segments.push({ start: cursor, end: length, tokens: [] });
  return segments;
}

/** A byte-level BPE piece made readable: GPT-2's `Ġ` (space) and `Ċ` (newline) as visible marks. */
export function displayPiece(piece: string): string {
  return piece.replace(/Ġ/g, '␣').replace(/Ċ/g, '↵').replace(/ĉ/g, '⇥');
}

/** "12.3 tokens/s" with a sensible number of digits. */
export function formatRate(tokens: number, milliseconds: number): string {
  if (tokens === 0 || milliseconds <= 0) return '– tokens/s';
  const rate = (tokens * 1000) / milliseconds;
  return `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)} tokens/s`;
}

/**
 * The colour of probability `p` in [0, 1] on the heat map: from the page background (p = 0) to a
 * saturated blue (p = 1), through a square-root ramp so small weights stay visible.
 */
export function heatColor(p: number, dark: boolean): [number, number, number] {
  const t = Math.sqrt(Math.min(1, Math.max(0, p)));
  const from: [number, number, number] = dark ? [24, 26, 33] : [255, 255, 255];
  const to: [number, number, number] = dark ? [120, 190, 255] : [20, 60, 170];
  return [0, 1, 2].map((i) => Math.round(from[i]! + (to[i]! - from[i]!) * t)) as [number, number, number];
}

/** Mean of `maps` (equal-length arrays), element by element. */
export function meanOf(maps: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(maps[0]?.length ?? 0);
  for (const m of maps) for (let i = 0; i < out.length; i++) out[i]! += m[i]! / maps.length;
  return out;
}

/** `1.2 MB`, `640 kB`, `512 B` (decimal units, as browsers show downloads). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** `m:ss` for an ETA. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** SVG polyline points for `values` in a `width`×`height` box (y grows down; min at the bottom). */
export function lossPolyline(values: readonly number[], maxSteps: number, width: number, height: number): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const steps = Math.max(maxSteps - 1, 1);
  return values.map((v, i) => `${((i / steps) * width).toFixed(1)},${(height - ((v - lo) / span) * height).toFixed(1)}`).join(' ');
}
