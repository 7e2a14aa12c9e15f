#!/bin/sh
# A second pretraining attempt for the tiny BERT family (2026-12-05), NOT the shipped models
# (train.sh reproduces those): 4× the pretraining steps of the shipped base, shorter sequences,
# a higher learning rate, then the same three heads. Its results (all in
# packages/all/assets/tiny-bert/README.md, "A second attempt"): the base stayed on the unigram
# plateau, and the heads were not better than the shipped ones, so nothing of it ships. Kept so
# the next attempt starts from what was tried. The text-classification run was stopped by hand
# after its first epoch (test accuracy 26.5%, training loss at ln 4: not learning).
# Run from the repository root after `pnpm install` (the CLI runs from its TypeScript sources).
# One wasm thread throughout (`--threads 1`; it ran under `nice -n 5` beside another training job).
set -eu
WORK=${WORK:-/tmp/tiny-bert-attempt-2}
TS="node --import ./tooling/embedded/register.mjs"
TFKIT="$TS apps/cli/src/bin.ts"
HERE=tooling/embedded/tiny-bert
mkdir -p "$WORK"

node $HERE/prepare-pretraining.mjs "$WORK"
node $HERE/prepare-finetune.mjs "$WORK"
node $HERE/baselines.mjs "$WORK" > "$WORK/baselines.log"

# WordPiece, cased, 4096 tokens, trained on the pretraining text.
$TFKIT tokenizer train --model wordpiece --vocab-size 4096 --no-lowercase --out "$WORK/tokenizer" "$WORK/pretrain-train.txt"

# BERT: 2 layers, width 128, 2 heads, FFN 512, 128 positions; MLM (15%, 80/10/10) + NSP.
# Two sequence lengths, as in the BERT paper (short sequences first, long ones at the end so the
# later position embeddings are learned): 600 steps of 32 pairs of at most 64 tokens from a fresh
# model, then 150 steps of 16 pairs of at most 128 tokens continuing it (new optimiser and
# warmup, another seed so other pairs come first).
rm -rf "$WORK/tiny-bert-64" "$WORK/tiny-bert"
$TFKIT pretrain --objective mlm+nsp --model-type bert --tokenizer "$WORK/tokenizer" --out "$WORK/tiny-bert-64" \
  --hidden-size 128 --layers 2 --heads 2 --max-positions 128 --set intermediate_size=512 --dropout 0 \
  --max-length 64 --batch-size 32 --lr 3e-3 --warmup-ratio 0.05 --max-steps 600 --save-every 100 --seed 0 \
  --backend wasm --threads 1 --json "$WORK/pretrain-train.txt" 2>&1 | tee "$WORK/pretrain-64.log"
$TFKIT pretrain --objective mlm+nsp --model "$WORK/tiny-bert-64" --out "$WORK/tiny-bert" \
  --max-length 128 --batch-size 16 --lr 2e-3 --warmup-ratio 0.1 --max-steps 150 --seed 1 \
  --backend wasm --threads 1 --json "$WORK/pretrain-train.txt" 2>&1 | tee "$WORK/pretrain-128.log"
$TS $HERE/mlm-eval.ts "$WORK/tiny-bert" "$WORK" | tee "$WORK/mlm-eval-float32.log"

# Heads, each fine-tuned in full from the pretrained model and scored on its held-out test set.
# Same settings as train.sh's heads (the classifier re-initialises the top layer, --reinit 1).
$TFKIT finetune --model "$WORK/tiny-bert" --task text-classification --data "$WORK/classify-train.jsonl" --eval "$WORK/classify-test.jsonl" \
  --out "$WORK/tiny-bert-authors" --reinit 1 --epochs 3 --batch-size 16 --lr 2e-3 --max-length 96 --seed 0 --backend wasm --threads 1 --json 2>&1 | tee "$WORK/authors.log"
$TFKIT finetune --model "$WORK/tiny-bert" --task token-classification --data "$WORK/ner-train.jsonl" --eval "$WORK/ner-test.jsonl" \
  --out "$WORK/tiny-bert-ner" --epochs 2 --batch-size 16 --lr 2e-3 --max-length 96 --seed 0 --backend wasm --threads 1 --json 2>&1 | tee "$WORK/ner.log"
$TFKIT finetune --model "$WORK/tiny-bert" --task question-answering --data "$WORK/qa-train.jsonl" --eval "$WORK/qa-test.jsonl" \
  --out "$WORK/tiny-bert-qa" --epochs 2 --batch-size 16 --lr 2e-3 --max-length 128 --stride 32 --seed 0 --backend wasm --threads 1 --json 2>&1 | tee "$WORK/qa.log"
