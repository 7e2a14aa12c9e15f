"""Benchmark (not a test): BERT-base (random init, bert-base config) fine-tuning steps for sequence
classification in PyTorch on the CPU, the shapes of bert-base-memory.run.ts: forward + backward +
clip_grad_norm_ + AdamW (weight decay 0.01) per step, the model of train_step_torch.py at
bert-base size. Prints each step's wall time and the process CPU time it used, as JSON.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/bert_base_torch.py [batch] [steps]
"""
import json, sys, time
import torch
from train_step_torch import BertMini, init_weights

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 8
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(1)
torch.manual_seed(0)
model = init_weights(BertMini(vocab=30522, d=768, layers=12, h=12, inner=3072)).train()
opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
rows = []
for i in range(steps + 1):
    ids, mask, labels = torch.randint(5, 30500, (batch, 128)), torch.ones(batch, 128, dtype=torch.long), torch.arange(batch) % 2
    t0, c0 = time.perf_counter(), time.process_time()
    _, loss = model(ids, mask, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    rows.append({"step": i, "ms": (time.perf_counter() - t0) * 1000, "cpuMs": (time.process_time() - c0) * 1000})
print(json.dumps({"batch": batch, "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": rows[1:], "warmup": rows[0]}))
