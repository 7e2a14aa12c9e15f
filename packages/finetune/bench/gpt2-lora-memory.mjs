// Prints the GPT-2 small LoRA fine-tuning table from gpt2-lora-memory.sh's results: per round, the
// wasm heap and live tensors after the last step, the peak malloc'd tensor bytes of the steps, and
// the median step time (wall and CPU) of tfkit (wasm, 1 thread, steps after the first) and PyTorch
// (1 thread, after a warm-up step), then ranges over the rounds.
import fs from 'node:fs';

const [batch = '8', rounds = '1'] = process.argv.slice(2);
const read = (name) => JSON.parse(fs.readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs, d = 1) => (xs.length ? `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}` : '—');
const rows = [];
console.log('| round | heap MB after steps 1 → last | live MB | peak tensors MB | heap/peak | tfkit step ms (CPU ms) | PyTorch step ms (CPU ms) | tfkit ÷ PyTorch, wall (CPU) | load avg |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (let r = 1; r <= Number(rounds); r++) {
  const t = read(`results-gpt2-lora-b${batch}-r${r}.json`);
  const p = read(`results-gpt2-lora-torch-b${batch}-r${r}.json`);
  const all = t.steps.filter((s) => s.step >= 1);
  const steps = all.filter((s) => s.step >= 2);
  const last = t.steps.at(-1);
  const row = {
    heap: last.heapMB, heap1: all[0]?.heapMB ?? NaN, live: last.liveMB, peak: Math.max(...all.map((s) => s.peakMallocMB)),
    tfkit: median(steps.map((s) => s.stepMs)), tfkitCpu: median(steps.map((s) => s.cpuMs)),
    torch: median(p.steps.map((s) => s.ms)), torchCpu: median(p.steps.map((s) => s.cpuMs)),
  };
  rows.push(row);
  console.log(`| ${r}${t.aborted ? ' (aborted)' : ''} | ${row.heap1.toFixed(0)} → ${row.heap.toFixed(0)} (${all.length} steps) | ${row.live.toFixed(0)} | ${row.peak.toFixed(0)} | ${(row.heap / row.peak).toFixed(2)} | ${row.tfkit.toFixed(0)} (${row.tfkitCpu.toFixed(0)}) | ${row.torch.toFixed(0)} (${row.torchCpu.toFixed(0)}) | ${(row.tfkit / row.torch).toFixed(2)} (${(row.tfkitCpu / row.torchCpu).toFixed(2)}) | ${(t.loadavg ?? []).map((x) => x.toFixed(1)).join(' ')} |`);
}
const col = (k) => rows.map((r) => r[k]);
console.log(`\nranges over ${rows.length} rounds: heap/peak ${range(rows.map((r) => r.heap / r.peak), 2)}, tfkit ÷ PyTorch wall ${range(rows.map((r) => r.tfkit / r.torch), 2)}, CPU ${range(rows.map((r) => r.tfkitCpu / r.torchCpu), 2)} (tfkit ${range(col('tfkit'), 0)} ms, PyTorch ${range(col('torch'), 0)} ms)`);
