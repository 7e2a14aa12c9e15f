/**
 * Peak resident memory of a BERT-base forward (bert-base-uncased's config, random weights, batch 1
 * × 128 tokens): tfkit on tfjs-backend-wasm (1 thread) against onnxruntime-node (1 intra-op thread).
 *
 * Every measurement is one fresh Node process (resident memory never carries over between systems
 * or rounds), run one at a time, the systems interleaved over ROUNDS rounds. Each child samples
 * VmHWM (peak RSS so far) and VmRSS after import, after loading the model from its files (tfkit:
 * config.json + model.safetensors through `BertModel.fromPretrained`; ONNX Runtime:
 * onnx/model.onnx from `exportOnnx`), after the first forward and after the third; the ratio
 * tfkit ÷ ONNX Runtime of the final peaks is taken within each round.
 *
 *   node bench/rss.bench.mjs [dir]      (in packages/onnx; RSS_BENCH_ROUNDS, default 3)
 *
 * A second tfkit system runs with `useBackend(…, 'wasm', { weightPacking: 'per-call' })`: dense
 * products pack their weights per call, so the heap holds no packed copies.
 *
 * RSS_BENCH_BASELINE=<another checkout's root> adds another system, tfkit as that checkout has it
 * (e.g. `git archive <commit> packages tooling` unpacked, its node_modules linked to this one's),
 * to measure a change within the same rounds.
 *
 * The model files (2 × 418 MiB) are written once into `dir` (default $TMPDIR/tfkit-rss-bert) by
 * bench/rss/prepare.ts and reused. Results: bench/results/rss-bert-base.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const here = import.meta.dirname;
const dir = process.argv[2] ?? path.join(os.tmpdir(), 'tfkit-rss-bert');
const ROUNDS = Number(process.env['RSS_BENCH_ROUNDS'] ?? 3);
// tsx compiles the TypeScript children; @tfkit/backends depends on it.
const tsx = pathToFileURL(createRequire(path.resolve(here, '../../backends/package.json')).resolve('tsx/esm')).href;
const baseline = process.env['RSS_BENCH_BASELINE'];

/** Runs bench/rss/<script> of the checkout whose bench folder is `bench` (its @tfkit/* sources). */
function child(script, bench = here, ...args) {
  const sources = pathToFileURL(path.join(bench, 'rss/sources.mjs')).href;
  const r = spawnSync('nice', ['-n', '5', process.execPath, '--import', tsx, '--import', sources, path.join(bench, 'rss', script), ...args], {
    cwd: path.resolve(here, '..'),
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RSS_RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${script} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('RSS_RESULT '.length));
}

if (!fs.existsSync(path.join(dir, 'model.safetensors')) || !fs.existsSync(path.join(dir, 'onnx/model.onnx'))) {
  fs.mkdirSync(dir, { recursive: true });
  const sources = pathToFileURL(path.join(here, 'rss/sources.mjs')).href;
  const r = spawnSync('nice', ['-n', '5', process.execPath, '--import', tsx, '--import', sources, path.join(here, 'rss/prepare.ts'), dir], { cwd: path.resolve(here, '..'), stdio: 'inherit' });
  if (r.status !== 0) throw new Error('prepare.ts failed');
}

const load = [os.loadavg()[0]];
// 'tfkit-per-call': the same child with `useBackend(…, { weightPacking: 'per-call' })` (no packed copies kept).
const systems = [...(baseline ? ['tfkit', 'baseline'] : ['tfkit']), 'tfkit-per-call', 'ort'];
const runs = Object.fromEntries(systems.map((s) => [s, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate which system goes first.
  const order = systems.map((_, i) => systems[(i + round) % systems.length]);
  for (const system of order) {
    const result =
      system === 'ort' ? child('ort-child.ts', here, dir)
      : system === 'tfkit-per-call' ? child('tfkit-child.ts', here, dir, 'per-call')
      : child('tfkit-child.ts', system === 'baseline' ? path.join(baseline, 'packages/onnx/bench') : here, dir);
    runs[system].push(result);
    const last = result.samples.at(-1);
    console.error(`round ${round + 1} ${system} ${result.system}: peak ${last.peakMiB.toFixed(0)} MiB (${result.samples.map((s) => `${s.phase} ${s.peakMiB.toFixed(0)}`).join(', ')})`);
  }
  load.push(os.loadavg()[0]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, d = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(s).toFixed(d)} (${s[0].toFixed(d)}–${s.at(-1).toFixed(d)})`;
};
const phases = runs.tfkit[0].samples.map((s) => s.phase);
const peak = (r, phase) => r.samples.find((s) => s.phase === phase).peakMiB;
const ratios = runs.tfkit.map((r, i) => peak(r, phases.at(-1)) / peak(runs.ort[i], phases.at(-1)));
const lines = [
  `BERT-base b1 s128, peak RSS (VmHWM) in MiB, ${ROUNDS} rounds of fresh processes, median (min–max); load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
  '',
  `| peak RSS after | ${phases.join(' | ')} |`,
  `| --- | ${phases.map(() => '---').join(' | ')} |`,
  `| tfkit (wasm, 1 thread) | ${phases.map((p) => fmt(runs.tfkit.map((r) => peak(r, p)))).join(' | ')} |`,
  ...(baseline ? [`| tfkit baseline (${baseline}) | ${phases.map((p) => fmt(runs.baseline.map((r) => peak(r, p)))).join(' | ')} |`] : []),
  `| tfkit, weightPacking 'per-call' | ${phases.map((p) => fmt(runs['tfkit-per-call'].map((r) => peak(r, p)))).join(' | ')} |`,
  `| onnxruntime-node (1 thread) | ${phases.map((p) => fmt(runs.ort.map((r) => peak(r, p)))).join(' | ')} |`,
  '',
  `tfkit ÷ onnxruntime-node, final peak (same round): ${fmt(ratios, 2)}`,
  `tfkit 'per-call' ÷ onnxruntime-node: ${fmt(runs['tfkit-per-call'].map((r, i) => peak(r, phases.at(-1)) / peak(runs.ort[i], phases.at(-1))), 2)}`,
  ...(baseline ? [`baseline ÷ onnxruntime-node: ${fmt(runs.baseline.map((r, i) => peak(r, phases.at(-1)) / peak(runs.ort[i], phases.at(-1))), 2)}`] : []),
  ...systems.filter((s) => s !== 'ort').map((s) => `${s} wasm heap after load / ${phases.at(-1)}: ${fmt(runs[s].map((r) => r.samples[1].wasmHeapMiB))} / ${fmt(runs[s].map((r) => r.samples.at(-1).wasmHeapMiB))} MiB`),
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'rss-bert-base.json'), `${JSON.stringify({ rounds: ROUNDS, loadAverage: load, baseline, ratios, runs }, null, 2)}\n`);
