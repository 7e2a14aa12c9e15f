#!/usr/bin/env bash
# Training-step benchmark (`pnpm bench` in this package): tfkit on every backend, then the same
# shapes in PyTorch on this CPU, in the same run; prints one table of times and ratios.
# PyTorch: Debian's python3-torch with OpenBLAS (apt-get install python3-torch libopenblas0-pthread);
# OPENBLAS_CORETYPE=SkylakeX picks the AVX-512 kernels OpenBLAS otherwise misdetects on this CPU.
# BENCH_MODES narrows the tfkit runs (default: cpu wasm-1 wasm-all); cpu is plain JavaScript and
# slow at these shapes, so it measures 2 steps after the warm-up instead of 5.
set -euo pipefail
cd "$(dirname "$0")/.."
modes=${BENCH_MODES:-"cpu wasm-1 wasm-all"}
rows=()
for mode in $modes; do
  steps=5
  [ "$mode" = cpu ] && steps=2
  BENCH_BACKEND=$mode BENCH_STEPS=${BENCH_STEPS:-$steps} npx vitest run --config evidence/vitest.config.ts bench/train-step.run.ts > /dev/null
  rows+=("$mode")
done
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
  for threads in 1 "$(nproc)"; do
    OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} /usr/bin/python3 bench/train_step_torch.py "$threads" > /dev/null
    rows+=("pytorch-$threads")
  done
else
  echo "PyTorch not found (/usr/bin/python3 -c 'import torch'): install Debian's python3-torch and libopenblas0-pthread for the reference rows" >&2
fi
node bench/table.mjs "${rows[@]}"
