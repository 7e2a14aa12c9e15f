/** Text rendering of training progress (used by ProgressCallback and the CLI). */

export interface ProgressLine {
  step: number;
  maxSteps: number;
  loss?: number;
  learningRate?: number;
  examplesPerSecond?: number;
  etaSeconds?: number | undefined;
  width?: number;
}

/** `[#########-----]  120/400  loss 0.4321  lr 2.00e-5  35.2 ex/s  ETA 1:02` */
export function formatProgress(p: ProgressLine): string {
  const width = p.width ?? 24;
  const frac = p.maxSteps > 0 ? Math.min(1, p.step / p.maxSteps) : 0;
  const filled = Math.round(frac * width);
  const parts = [`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`, `${String(p.step).padStart(String(p.maxSteps).length)}/${p.maxSteps}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.learningRate !== undefined) parts.push(`lr ${p.learningRate.toExponential(2)}`);
  if (p.examplesPerSecond !== undefined) parts.push(`${p.examplesPerSecond.toFixed(1)} ex/s`);
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join('  ');
}

/** 75 → `1:15`, 3700 → `1:01:40`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
