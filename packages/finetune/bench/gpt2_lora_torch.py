"""Benchmark (not a test): GPT-2 small (gpt2 config, random init) LoRA fine-tuning steps as a
causal language model in PyTorch on the CPU, the shapes and method of gpt2-lora-memory.run.ts:
LoRA r=8, alpha=16 (no LoRA dropout) on the fused q/k/v projection and both residual projections
(c_attn, attn.c_proj, mlp.c_proj), the base model frozen (the tied embedding / LM head included),
dropout 0.1 as GPT-2's config, forward + backward + clip_grad_norm_(1.0) + AdamW (weight decay
0.01) over the adapters per step. Written out in plain torch (train_step_torch.py's GPT-2, no
transformers / peft). Prints each step's wall time and the process CPU time it used, as JSON.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/gpt2_lora_torch.py [batch] [steps] [seq]
"""
import json, math, sys, time
import torch
import torch.nn as nn
from train_step_torch import Gpt2Tiny, init_weights

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 8
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
seq = int(sys.argv[3]) if len(sys.argv) > 3 else 128
torch.set_num_threads(1)
torch.manual_seed(0)


class LoraLinear(nn.Module):
    """PEFT's lora.Linear: base(x) + (alpha/r) * B(A(x)), A kaiming-uniform, B = 0."""

    def __init__(self, base, r=8, alpha=16):
        super().__init__()
        self.base, self.scaling = base, alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling


model = init_weights(Gpt2Tiny(vocab=50257, d=768, layers=12, h=12, pos=1024))
for p in model.parameters():
    p.requires_grad_(False)
for block in model.h:
    block.attn.qkv = LoraLinear(block.attn.qkv)  # c_attn
    block.attn.out = LoraLinear(block.attn.out)  # attn.c_proj
    block.fc2 = LoraLinear(block.fc2)  # mlp.c_proj
model.train()
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.01)
rows = []
for i in range(steps + 1):
    ids = torch.randint(5, 50247, (batch, seq))
    t0, c0 = time.perf_counter(), time.process_time()
    _, loss = model(ids, ids)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    rows.append({"step": i, "ms": (time.perf_counter() - t0) * 1000, "cpuMs": (time.process_time() - c0) * 1000, "loss": loss.item()})
print(json.dumps({"batch": batch, "seq": seq, "torch": torch.__version__, "threads": torch.get_num_threads(), "trainable": sum(p.numel() for p in trainable), "steps": rows[1:], "warmup": rows[0]}))
