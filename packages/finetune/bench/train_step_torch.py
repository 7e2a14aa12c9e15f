"""Benchmark (not a test): the same BERT-mini-shaped classifier and GPT-2-tiny-shaped LM as
train-step.run.ts, in PyTorch on the CPU: forward (eval, no_grad) and one training step
(forward + backward + AdamW + clipping), median of N after a warm-up. Written out in plain
torch (no transformers), following the Hugging Face architectures op for op.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/train_step_torch.py [threads]
"""
import json, math, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

STEPS = 5
threads = int(sys.argv[1]) if len(sys.argv) > 1 and __name__ == "__main__" else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


class Attention(nn.Module):
    def __init__(self, d, h, causal):
        super().__init__()
        self.h, self.causal = h, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-1, -2) / math.sqrt(d // self.h)
        if self.causal:
            s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        if mask is not None:
            s = s + mask
        p = self.drop(s.softmax(-1))
        return self.out((p @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, h, inner, causal, pre_ln):
        super().__init__()
        self.attn, self.pre_ln = Attention(d, h, causal), pre_ln
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, inner), nn.Linear(inner, d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask=None):
        if self.pre_ln:  # GPT-2
            x = x + self.drop(self.attn(self.ln1(x), mask))
            return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh")))
        x = self.ln1(x + self.drop(self.attn(x, mask)))  # BERT (post-LN)
        return self.ln2(x + self.drop(self.fc2(F.gelu(self.fc1(x)))))


class BertMini(nn.Module):
    def __init__(self, vocab=30522, d=256, layers=4, h=4, inner=1024, pos=512, labels=2):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(vocab, d), nn.Embedding(pos, d), nn.Embedding(2, d)
        self.ln, self.drop = nn.LayerNorm(d), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Block(d, h, inner, False, False) for _ in range(layers))
        self.pooler, self.classifier = nn.Linear(d, d), nn.Linear(d, labels)

    def forward(self, ids, mask, labels=None):
        t = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.pos(torch.arange(t))[None] + self.token_type(torch.zeros_like(ids))))
        m = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, m)
        logits = self.classifier(self.drop(torch.tanh(self.pooler(x[:, 0]))))
        return logits, (F.cross_entropy(logits, labels) if labels is not None else None)


class Gpt2Tiny(nn.Module):
    def __init__(self, vocab=50257, d=128, layers=2, h=2, pos=256):
        super().__init__()
        self.wte, self.wpe, self.drop = nn.Embedding(vocab, d), nn.Embedding(pos, d), nn.Dropout(0.1)
        self.h = nn.ModuleList(Block(d, h, 4 * d, True, True) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, ids, labels=None):
        t = ids.shape[1]
        x = self.drop(self.wte(ids) + self.wpe(torch.arange(t))[None])
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T  # tied LM head
        loss = None if labels is None else F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))
        return logits, loss


def init_weights(model):
    """Hugging Face's `_init_weights` for BERT and GPT-2 (and tfkit's): N(0, 0.02) for Linear and
    Embedding weights, zero biases, LayerNorm 1/0. PyTorch's own nn.Embedding init is N(0, 1): with
    the tied 50k-row head that gives logits of std ~11, a softmax full of subnormal floats, and a
    backward pass ~20x slower on subnormal arithmetic — not a fair (or realistic) anchor."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
        if isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def bench(model, make_inputs):
    model.eval()
    fwd = []
    with torch.no_grad():
        for i in range(STEPS + 1):
            args = make_inputs()
            t0 = time.perf_counter()
            model(*args[:-1])
            if i:
                fwd.append((time.perf_counter() - t0) * 1000)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    steps = []
    for i in range(STEPS + 1):
        args = make_inputs()
        t0 = time.perf_counter()
        _, loss = model(*args)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i:
            steps.append((time.perf_counter() - t0) * 1000)
    return {"forwardMs": statistics.median(fwd), "trainStepMs": statistics.median(steps)}


if __name__ == "__main__":
    bert = bench(init_weights(BertMini()), lambda: (torch.randint(5, 30500, (8, 128)), torch.ones(8, 128, dtype=torch.long), torch.arange(8) % 2))
    gpt = bench(init_weights(Gpt2Tiny()), lambda: (lambda x: (x, x))(torch.randint(5, 50200, (4, 128))))
    result = {"mode": f"pytorch-{threads}", "torch": torch.__version__, "threads": threads, "bertMini": bert, "gpt2Tiny": gpt}
    print(json.dumps(result))
    with open(f"{__file__.rsplit('/', 1)[0]}/results-pytorch-{threads}.json", "w") as f:
        json.dump(result, f, indent=2)
