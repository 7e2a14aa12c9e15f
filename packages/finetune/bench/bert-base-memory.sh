#!/usr/bin/env bash
# BERT-base fine-tuning on wasm (1 thread) against PyTorch (1 thread), interleaved rounds:
# each round runs bert-base-memory.run.ts (BENCH_STEPS steps at BENCH_BATCH, seq 128) and then
# bert_base_torch.py at the same shapes; bert-base-memory.mjs prints heap, live tensors and
# step-time ratios as ranges over the rounds. Not a test; minutes per step on a loaded machine.
#
#   BENCH_BATCH=8 BENCH_STEPS=10 ROUNDS=3 nice -n 10 bash bench/bert-base-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${BENCH_BATCH:-8}
steps=${BENCH_STEPS:-4}
rounds=${ROUNDS:-2}
for round in $(seq 1 "$rounds"); do
  # Under load, vitest can report an RPC timeout (the steps block its worker's event loop for
  # minutes) and exit 1 after the run wrote its results: the round counts if its file is new.
  marker=$(mktemp)
  result="bench/results-bert-base-${BENCH_OPTIMIZER:-fused}-b$batch-r$round.json"
  BENCH_BATCH=$batch BENCH_STEPS=$steps BENCH_ROUND=$round npx vitest run --config evidence/vitest.config.ts bench/bert-base-memory.run.ts > /dev/null ||
    [ "$result" -nt "$marker" ] || { echo "round $round: no results ($result)" >&2; exit 1; }
  rm -f "$marker"
  (cd bench && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} \
    /usr/bin/python3 bert_base_torch.py "$batch" "$steps" > "results-bert-base-torch-b$batch-r$round.json")
done
node bench/bert-base-memory.mjs "$batch" "$rounds"
