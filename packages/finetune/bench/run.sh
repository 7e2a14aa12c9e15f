#!/usr/bin/env bash
# Runs the training-step benchmark on every backend, then PyTorch, and prints one table.
# PyTorch: Debian's python3-torch (OpenBLAS); OPENBLAS_CORETYPE=SkylakeX picks its AVX-512 kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
for mode in cpu wasm-1 wasm-all; do
  BENCH_BACKEND=$mode npx vitest run --config evidence/vitest.config.ts bench/train-step.run.ts > /dev/null
done
for threads in 1 "$(nproc)"; do OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/train_step_torch.py "$threads" > /dev/null; done
node -e '
const fs = require("fs");
const rows = ["cpu", "wasm-1", "wasm-all", "pytorch-1", `pytorch-${require("os").cpus().length}`].map((m) => JSON.parse(fs.readFileSync(`bench/results-${m}.json`, "utf8")));
const torch1 = rows[3];
console.log("| runtime | BERT-mini fwd ms | BERT-mini step ms | step/fwd | GPT-2-tiny fwd ms | GPT-2-tiny step ms | step/fwd | step vs PyTorch 1 thread |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const f = (x) => x.toFixed(1);
  console.log(`| ${r.mode} | ${f(r.bertMini.forwardMs)} | ${f(r.bertMini.trainStepMs)} | ${(r.bertMini.trainStepMs / r.bertMini.forwardMs).toFixed(2)} | ${f(r.gpt2Tiny.forwardMs)} | ${f(r.gpt2Tiny.trainStepMs)} | ${(r.gpt2Tiny.trainStepMs / r.gpt2Tiny.forwardMs).toFixed(2)} | ${(r.bertMini.trainStepMs / torch1.bertMini.trainStepMs).toFixed(1)}× / ${(r.gpt2Tiny.trainStepMs / torch1.gpt2Tiny.trainStepMs).toFixed(1)}× |`);
}'
