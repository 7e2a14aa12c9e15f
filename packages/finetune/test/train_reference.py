"""PyTorch reference for tfkit's Trainer: fine-tunes BertForSequenceClassification (transformers'
module tree, from hf_reference.py, with the pad row of word_embeddings as nn.Embedding's
padding_idx) on exactly the micro-batches tfkit trained on, the way Hugging Face's Trainer does a
step:

- torch.optim.AdamW over two groups, weight decay on everything but biases and LayerNorm weights
  (transformers' Trainer.get_decay_parameter_names);
- torch.optim.lr_scheduler.LambdaLR with transformers' get_linear_schedule_with_warmup lambda;
- gradient accumulation: each micro-batch's mean cross-entropy divided by the number of
  micro-batches in the step, backward() summing the gradients;
- torch.nn.utils.clip_grad_norm_ on the global norm, then optimizer.step(), scheduler.step(),
  optimizer.zero_grad().

    python3 train_reference.py MODEL_DIR RUN_JSON

MODEL_DIR holds config.json + model.safetensors (the initial weights). RUN_JSON holds
{"lr", "weight_decay", "betas", "eps", "warmup_steps", "total_steps", "max_grad_norm",
 "steps": [[{"input_ids", "attention_mask", "labels"}, ...micro-batches], ...steps]}.
Prints {"losses", "learning_rates", "grad_norms", "weights": {name: [flat values]}} (weights in
transformers' layout and names).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../../../tooling/test-utils/python"))
from hf_reference import BertForSequenceClassification  # noqa: E402
from torch_reference import read_safetensors, strict_load  # noqa: E402


def decay_parameter_names(model):
    """transformers' Trainer: every parameter but biases and those of LayerNorm modules."""
    in_norm = {f"{m}.{p}" if m else p for m, mod in model.named_modules() if isinstance(mod, nn.LayerNorm) for p, _ in mod.named_parameters(recurse=False)}
    return {n for n, _ in model.named_parameters() if n not in in_norm and not n.endswith("bias")}


def linear_with_warmup(warmup, total):
    """transformers.get_linear_schedule_with_warmup's lr_lambda."""
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def main():
    model_dir, run_path = sys.argv[1:3]
    torch.manual_seed(0)
    config = json.load(open(f"{model_dir}/config.json"))
    run = json.load(open(run_path))
    model = BertForSequenceClassification(config)
    strict_load(model, read_safetensors(f"{model_dir}/model.safetensors", dtype="F32"), model_dir)
    model.train()

    decay = decay_parameter_names(model)
    groups = [
        {"params": [p for n, p in model.named_parameters() if n in decay], "weight_decay": run["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if n not in decay], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=run["lr"], betas=tuple(run["betas"]), eps=run["eps"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_with_warmup(run["warmup_steps"], run["total_steps"]))

    losses, lrs, norms = [], [], []
    for step in run["steps"]:
        total = 0.0
        for mb in step:
            logits = model(torch.tensor(mb["input_ids"]), torch.tensor(mb["attention_mask"]))
            loss = F.cross_entropy(logits, torch.tensor(mb["labels"])) / len(step)
            loss.backward()
            total += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), run["max_grad_norm"])
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(total)
        norms.append(float(norm))

    weights = {n: t.detach().reshape(-1).tolist() for n, t in model.state_dict().items()}
    print(json.dumps({"losses": losses, "learning_rates": lrs, "grad_norms": norms, "weights": weights}))


if __name__ == "__main__":
    main()
