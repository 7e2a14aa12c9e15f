"""PyTorch's weighted cross-entropy for losses-torch.slow.test.ts: reads a JSON list of cases from
stdin — {"logits": [[...], ...] (rows × classes), "labels": [...], "weight": [...] or null,
"reduction": "mean" | "sum"} — and writes, for each, the loss of
torch.nn.CrossEntropyLoss(weight=weight, ignore_index=-100, reduction=reduction) and its gradient
with respect to the logits, computed in float32 as tfkit does. NaN is written as null (JSON has no
NaN)."""
import math
import json
import sys

import torch

out = []
for case in json.load(sys.stdin):
    z = torch.tensor(case["logits"], dtype=torch.float32, requires_grad=True)
    y = torch.tensor(case["labels"], dtype=torch.int64)
    w = None if case["weight"] is None else torch.tensor(case["weight"], dtype=torch.float32)
    loss = torch.nn.CrossEntropyLoss(weight=w, ignore_index=-100, reduction=case["reduction"])(z, y)
    loss.backward()
    grad = z.grad if z.grad is not None else torch.zeros_like(z)
    nan = lambda v: None if math.isnan(v) else v
    out.append({"loss": nan(loss.item()), "grad": [[nan(v) for v in row] for row in grad.tolist()]})
json.dump(out, sys.stdout)
