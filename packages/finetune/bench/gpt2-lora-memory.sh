#!/usr/bin/env bash
# GPT-2 small LoRA fine-tuning on wasm (1 thread) against PyTorch (1 thread), interleaved rounds:
# each round runs gpt2-lora-memory.run.ts (BENCH_STEPS steps at BENCH_BATCH, seq BENCH_SEQ) and then
# gpt2_lora_torch.py at the same shapes; gpt2-lora-memory.mjs prints heap, live and peak tensor
# bytes and step-time ratios as ranges over the rounds. Not a test; minutes per step on a loaded machine.
#
#   BENCH_BATCH=8 BENCH_STEPS=5 ROUNDS=2 nice -n 5 bash bench/gpt2-lora-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${BENCH_BATCH:-8}
steps=${BENCH_STEPS:-5}
seq=${BENCH_SEQ:-128}
rounds=${ROUNDS:-2}
torch_steps=${TORCH_STEPS:-3}
for round in $(seq 1 "$rounds"); do
  # A step blocks the event loop for minutes, so vitest may report an RPC timeout and exit 1 after
  # the results file is written; the file is what counts.
  rm -f "bench/results-gpt2-lora-b$batch-r$round.json"
  BENCH_BATCH=$batch BENCH_STEPS=$steps BENCH_SEQ=$seq BENCH_ROUND=$round npx vitest run --config evidence/vitest.config.ts bench/gpt2-lora-memory.run.ts > /dev/null || true
  test -f "bench/results-gpt2-lora-b$batch-r$round.json"
  (cd bench && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} \
    /usr/bin/python3 gpt2_lora_torch.py "$batch" "$torch_steps" "$seq" > "results-gpt2-lora-torch-b$batch-r$round.json")
done
node bench/gpt2-lora-memory.mjs "$batch" "$rounds"
