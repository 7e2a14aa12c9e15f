#!/bin/sh
# Reproduces the embedded tiny BERT family in packages/all/assets/tiny-bert*: data, WordPiece
# tokenizer, MLM+NSP pretraining, three fine-tuned heads, float16, baselines and held-out metrics.
# Run from the repository root after `pnpm install && pnpm build`. Seeds fix the data, the
# tokenizer, the initialisation, the masks and the batches. Logs and metrics go to $WORK.
set -eu
WORK=${WORK:-/tmp/tiny-bert-work}
ASSETS=packages/all/assets
TFKIT="node apps/cli/dist/bin.js"
TS="node --import ./tooling/embedded/register.mjs"
HERE=tooling/embedded/tiny-bert
mkdir -p "$WORK"

node $HERE/prepare-pretraining.mjs "$WORK"
node $HERE/prepare-finetune.mjs "$WORK"
node $HERE/baselines.mjs "$WORK" > "$WORK/baselines.log"

# WordPiece, cased, 4096 tokens, trained on the pretraining text.
$TFKIT tokenizer train --model wordpiece --vocab-size 4096 --no-lowercase --out "$WORK/tokenizer" "$WORK/pretrain-train.txt"

# BERT: 2 layers, width 128, 2 heads, FFN 512, 128 positions; MLM (15%, 80/10/10) + NSP.
# Two phases (as it was trained on a shared machine): phase 1 is a 360-step run stopped once its
# step-60 checkpoint is written; phase 2 resumes that checkpoint with --max-steps 180 (the linear
# schedule then decays to 0 at step 180). Every batch and mask follows from the seed and the step.
PRETRAIN="$TFKIT pretrain --objective mlm+nsp --model-type bert --tokenizer $WORK/tokenizer --out $WORK/tiny-bert \
  --hidden-size 128 --layers 2 --heads 2 --max-positions 128 --set intermediate_size=512 --dropout 0 \
  --max-length 128 --batch-size 16 --lr 1e-3 --warmup-ratio 0.05 --save-every 60 --seed 0 --backend wasm $WORK/pretrain-train.txt"
rm -rf "$WORK/tiny-bert"
$PRETRAIN --max-steps 360 > "$WORK/pretrain-phase1.log" 2>&1 &
phase1=$!
until [ -d "$WORK/tiny-bert/checkpoints/checkpoint-60" ] && tr '\r' '\n' < "$WORK/pretrain-phase1.log" | grep -Eq ' (6[1-9]|[7-9][0-9])/360'; do sleep 5; done
kill -INT $phase1; wait $phase1 || true
find "$WORK/tiny-bert/checkpoints" -mindepth 1 -maxdepth 1 ! -name checkpoint-60 -exec rm -rf {} +
$PRETRAIN --max-steps 180 --resume 2>&1 | tee "$WORK/pretrain.log"

# Heads, each fine-tuned in full from the pretrained model and scored on its held-out test set.
# The classifier re-initialises the top layer (--reinit 1): the pretrained [CLS] vector is the same
# for every input (NSP was not learned), and from it the head did not learn (25% after an epoch).
$TFKIT finetune --model "$WORK/tiny-bert" --task text-classification --data "$WORK/classify-train.jsonl" --eval "$WORK/classify-test.jsonl" \
  --out "$WORK/tiny-bert-authors" --reinit 1 --epochs 3 --batch-size 16 --lr 2e-3 --max-length 96 --seed 0 --backend wasm --json 2>&1 | tee "$WORK/authors.log"
$TFKIT finetune --model "$WORK/tiny-bert" --task token-classification --data "$WORK/ner-train.jsonl" --eval "$WORK/ner-test.jsonl" \
  --out "$WORK/tiny-bert-ner" --epochs 2 --batch-size 16 --lr 2e-3 --max-length 96 --seed 0 --backend wasm --json 2>&1 | tee "$WORK/ner.log"
$TFKIT finetune --model "$WORK/tiny-bert" --task question-answering --data "$WORK/qa-train.jsonl" --eval "$WORK/qa-test.jsonl" \
  --out "$WORK/tiny-bert-qa" --epochs 2 --batch-size 16 --lr 2e-3 --max-length 128 --stride 32 --seed 0 --backend wasm --json 2>&1 | tee "$WORK/qa.log"

# Shipped form (float16, no resumable checkpoints), then the base model's held-out MLM accuracy.
for name in tiny-bert tiny-bert-authors tiny-bert-ner tiny-bert-qa; do
  $TS $HERE/finalize.ts "$WORK/$name"
  mkdir -p "$ASSETS/$name"
  cp "$WORK/$name"/config.json "$WORK/$name"/model.safetensors "$WORK/$name"/tokenizer.json "$WORK/$name"/tokenizer_config.json "$ASSETS/$name/"
done
$TS $HERE/mlm-eval.ts "$ASSETS/tiny-bert" "$WORK" | tee "$WORK/mlm-eval.log"
$TS $HERE/pick-examples.ts "$ASSETS" "$WORK" | tee "$WORK/checked.log"
