// Prints the BERT-base fine-tuning table from bert-base-memory.sh's results: per round, the wasm
// heap and live tensors after the last step, the peak malloc'd tensor bytes of a step after the
// first, and the median step time of tfkit (wasm, 1 thread) and PyTorch (1 thread), then ranges.
import fs from 'node:fs';

const [batch = '8', rounds = '1'] = process.argv.slice(2);
const read = (name) => JSON.parse(fs.readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs, d = 1) => (xs.length ? `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}` : '—');
const rows = [];
const fmt = (x) => (Number.isNaN(x) ? '—' : x.toFixed(0));
console.log(`| round | heap MB | live MB | peak tensors MB | heap/live | heap/peak | tfkit step ms (CPU ms) | PyTorch step ms (CPU ms) | tfkit ÷ PyTorch, wall (CPU) |`);
console.log('|---|---|---|---|---|---|---|---|---|');
for (let r = 1; r <= Number(rounds); r++) {
  const t = read(`results-bert-base-fused-b${batch}-r${r}.json`);
  const p = read(`results-bert-base-torch-b${batch}-r${r}.json`);
  const steps = t.steps.filter((s) => s.step >= 2);
  const last = t.steps.at(-1);
  const row = {
    heap: last.heapMB, live: last.liveMB, peak: Math.max(...steps.map((s) => s.peakMallocMB)),
    tfkit: median(steps.map((s) => s.stepMs)), tfkitCpu: steps[0]?.cpuMs === undefined ? NaN : median(steps.map((s) => s.cpuMs)),
    torch: median(p.steps.map((s) => s.ms)), torchCpu: median(p.steps.map((s) => s.cpuMs)),
  };
  rows.push(row);
  console.log(`| ${r}${t.aborted ? ' (aborted)' : ''} | ${row.heap.toFixed(0)} | ${row.live.toFixed(0)}${t.momentsOutsideHeapMB ? ` (+${t.momentsOutsideHeapMB.toFixed(0)} moments outside the heap)` : ''} | ${row.peak.toFixed(0)} | ${(row.heap / row.live).toFixed(2)} | ${(row.heap / row.peak).toFixed(2)} | ${row.tfkit.toFixed(0)} (${fmt(row.tfkitCpu)}) | ${row.torch.toFixed(0)} (${row.torchCpu.toFixed(0)}) | ${(row.tfkit / row.torch).toFixed(2)} (${Number.isNaN(row.tfkitCpu) ? '—' : (row.tfkitCpu / row.torchCpu).toFixed(2)}) |`);
}
const col = (k) => rows.map((r) => r[k]);
console.log(`\nranges over ${rows.length} rounds: heap/live ${range(rows.map((r) => r.heap / r.live), 2)}, heap/peak ${range(rows.map((r) => r.heap / r.peak), 2)}, tfkit ÷ PyTorch wall ${range(rows.map((r) => r.tfkit / r.torch), 2)}, CPU ${range(rows.map((r) => r.tfkitCpu / r.torchCpu).filter((x) => !Number.isNaN(x)), 2)} (tfkit ${range(col('tfkit'), 0)} ms, PyTorch ${range(col('torch'), 0)} ms)`);
