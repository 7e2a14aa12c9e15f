"""Reference check for checkpoints written by tfkit: loads them the way Hugging Face transformers
and PEFT do and runs them in PyTorch.

transformers and peft cannot be installed on these machines (no PyPI), so this file writes out, in
plain torch, the two model classes the fine-tuning tests save — BertForSequenceClassification and
GPT2ForSequenceClassification, with transformers' module tree and therefore its exact state_dict
names — and PEFT's LoRA forward (W x + (alpha / r) B A x on the Linear `target_modules`, its Embedding
variant on embeddings, `modules_to_save` replaced). Loading is strict, as transformers' `from_pretrained` reports missing and unexpected keys:
any missing, unexpected or mis-shaped tensor is an error. Config values come from config.json with
transformers' defaults; adapter settings from adapter_config.json.

    python3 hf_reference.py bert|gpt2|gpt2-lm MODEL_DIR INPUTS_JSON [ADAPTER_DIR]

(gpt2-lm: GPT2LMHeadModel's logits, tied to wte, to check the GPT-2 transformer against transformers' own fixture)

INPUTS_JSON holds {"input_ids": [[...]], "attention_mask": [[...]]}; prints {"logits": [[...]]}.
"""
import json
import math
import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tooling/test-utils/python"))
from torch_reference import Holder, read_safetensors, strict_load  # noqa: E402


# ----- BERT (transformers/models/bert/modeling_bert.py, eager attention) -----

def bert_layer(c):
    d, inner, eps = c["hidden_size"], c.get("intermediate_size", 3072), c.get("layer_norm_eps", 1e-12)
    layer = Holder()
    layer.attention = Holder()
    layer.attention.self = Holder()
    for n in ("query", "key", "value"):
        setattr(layer.attention.self, n, nn.Linear(d, d))
    layer.attention.output = Holder()
    layer.attention.output.dense, layer.attention.output.LayerNorm = nn.Linear(d, d), nn.LayerNorm(d, eps=eps)
    layer.intermediate = Holder()
    layer.intermediate.dense = nn.Linear(d, inner)
    layer.output = Holder()
    layer.output.dense, layer.output.LayerNorm = nn.Linear(inner, d), nn.LayerNorm(d, eps=eps)
    return layer


ACT = {"gelu": lambda x: F.gelu(x), "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu,
       "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "tanh": torch.tanh}


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, eps = c["hidden_size"], c.get("layer_norm_eps", 1e-12)
        self.bert = Holder()
        e = self.bert.embeddings = Holder()
        e.word_embeddings = nn.Embedding(c["vocab_size"], d, padding_idx=c.get("pad_token_id", 0))  # as transformers: no gradient to the pad row
        e.position_embeddings = nn.Embedding(c.get("max_position_embeddings", 512), d)
        e.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), d)
        e.LayerNorm = nn.LayerNorm(d, eps=eps)
        self.bert.encoder = Holder()
        self.bert.encoder.layer = nn.ModuleList(bert_layer(c) for _ in range(c["num_hidden_layers"]))
        self.bert.pooler = Holder()
        self.bert.pooler.dense = nn.Linear(d, d)
        labels = len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)
        self.classifier = nn.Linear(d, labels)

    def forward(self, input_ids, attention_mask):
        c, e = self.c, self.bert.embeddings
        h, heads = c["hidden_size"], c["num_attention_heads"]
        act = ACT[c.get("hidden_act", "gelu")]
        b, t = input_ids.shape
        x = e.word_embeddings(input_ids) + e.position_embeddings(torch.arange(t))[None] + e.token_type_embeddings(torch.zeros_like(input_ids))
        x = e.LayerNorm(x)
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.bert.encoder.layer:
            a = layer.attention.self
            split = lambda y: y.view(b, t, heads, h // heads).transpose(1, 2)
            q, k, v = split(a.query(x)), split(a.key(x)), split(a.value(x))
            p = ((q @ k.transpose(-1, -2)) / math.sqrt(h // heads) + mask).softmax(-1)
            ctx = (p @ v).transpose(1, 2).reshape(b, t, h)
            x = layer.attention.output.LayerNorm(layer.attention.output.dense(ctx) + x)
            x = layer.output.LayerNorm(layer.output.dense(act(layer.intermediate.dense(x))) + x)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(pooled)


# ----- GPT-2 (transformers/models/gpt2/modeling_gpt2.py; Conv1D weights are [in, out]) -----

class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return x @ self.weight + self.bias


class GPT2ForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, eps = c.get("n_embd", 768), c.get("layer_norm_epsilon", 1e-5)
        inner = c.get("n_inner") or 4 * d
        self.transformer = Holder()
        tr = self.transformer
        tr.wte, tr.wpe = nn.Embedding(c["vocab_size"], d), nn.Embedding(c.get("n_positions", 1024), d)
        tr.h = nn.ModuleList()
        for _ in range(c.get("n_layer", 12)):
            blk = Holder()
            blk.ln_1, blk.ln_2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
            blk.attn = Holder()
            blk.attn.c_attn, blk.attn.c_proj = Conv1D(3 * d, d), Conv1D(d, d)
            blk.mlp = Holder()
            blk.mlp.c_fc, blk.mlp.c_proj = Conv1D(inner, d), Conv1D(d, inner)
            tr.h.append(blk)
        tr.ln_f = nn.LayerNorm(d, eps=eps)
        labels = len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)
        self.score = nn.Linear(d, labels, bias=False)

    def forward(self, input_ids, attention_mask, lm_head=False):
        c, tr = self.c, self.transformer
        d, heads = c.get("n_embd", 768), c.get("n_head", 12)
        act = ACT[c.get("activation_function", "gelu_new")]
        b, t = input_ids.shape
        x = tr.wte(input_ids) + tr.wpe(torch.arange(t))[None]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        pad = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for blk in tr.h:
            q, k, v = blk.attn.c_attn(blk.ln_1(x)).split(d, dim=2)
            split = lambda y: y.view(b, t, heads, d // heads).transpose(1, 2)
            q, k, v = split(q), split(k), split(v)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(d // heads)
            s = torch.where(causal, s, torch.tensor(torch.finfo(torch.float32).min)) + pad
            x = x + blk.attn.c_proj((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))
            x = x + blk.mlp.c_proj(act(blk.mlp.c_fc(blk.ln_2(x))))
        if lm_head:  # GPT2LMHeadModel: the head is tied to wte
            return tr.ln_f(x) @ tr.wte.weight.T
        logits = self.score(tr.ln_f(x))
        # transformers 4.40: the last token before the first pad (the last one when there is none).
        lengths = (torch.eq(input_ids, c["pad_token_id"]).int().argmax(-1) - 1) % t
        return logits[torch.arange(b), lengths]


# ----- PEFT LoRA (peft/tuners/lora/layer.py: Linear.forward, adapter "default") -----

class LoraLinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


class LoraEmbedding(nn.Module):
    """peft/tuners/lora/layer.py Embedding: base(x) + (F.embedding(x, A.T) @ B.T) * scaling."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        self.lora_embedding_A = nn.Parameter(torch.zeros(r, base.num_embeddings))
        self.lora_embedding_B = nn.Parameter(torch.zeros(base.embedding_dim, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base_layer(x) + (F.embedding(x, self.lora_embedding_A.T) @ self.lora_embedding_B.T) * self.scaling


def apply_lora(model, adapter_dir):
    cfg = json.load(open(f"{adapter_dir}/adapter_config.json"))
    if cfg.get("peft_type") != "LORA":
        raise SystemExit(f"{adapter_dir}: peft_type {cfg.get('peft_type')!r}, expected 'LORA'")
    r, alpha, targets = cfg["r"], cfg["lora_alpha"], cfg["target_modules"]
    # PEFT's check_target_module_exists: a list matches a name or a `.name` suffix; a string is a full-match regex.
    match = (lambda n: re.fullmatch(targets, n) is not None) if isinstance(targets, str) else (lambda n: any(n == t or n.endswith("." + t) for t in targets))
    wrapped = 0
    for name, module in list(model.named_modules()):
        if name and isinstance(module, (nn.Linear, nn.Embedding)) and match(name):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            layer = LoraLinear(module, r, alpha) if isinstance(module, nn.Linear) else LoraEmbedding(module, r, alpha)
            setattr(parent, name.rsplit(".", 1)[-1], layer)
            wrapped += 1
    if wrapped == 0:
        raise SystemExit(f"{adapter_dir}: target_modules {targets} matched no Linear or Embedding layer")
    state = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
    own = {}
    for key, value in state.items():
        if not key.startswith("base_model.model."):
            raise SystemExit(f"{adapter_dir}: tensor {key} lacks PEFT's base_model.model. prefix")
        own[key[len("base_model.model."):]] = value
    # modules_to_save: PEFT saves them under their own names (without `modules_to_save.default`).
    expected = {k for k in model.state_dict() if ".lora_" in k}
    for m in cfg.get("modules_to_save") or []:
        expected |= {k for k in model.state_dict() if k == m or k.startswith(m + ".") or f".{m}." in f".{k}"}
    missing, unexpected = sorted(expected - set(own)), sorted(set(own) - set(model.state_dict()))
    if missing or unexpected:
        raise SystemExit(f"{adapter_dir}: missing adapter keys {missing}, unexpected keys {unexpected}")
    full = model.state_dict()
    for k, v in own.items():
        if tuple(v.shape) != tuple(full[k].shape):
            raise SystemExit(f"{adapter_dir}: {k} has shape {list(v.shape)}, the model expects {list(full[k].shape)}")
    model.load_state_dict(own, strict=False)
    return model


def main():
    family, model_dir, inputs_path = sys.argv[1:4]
    adapter_dir = sys.argv[4] if len(sys.argv) > 4 else None
    config = json.load(open(f"{model_dir}/config.json"))
    lm_head = family == "gpt2-lm"
    family = "gpt2" if lm_head else family
    model = {"bert": BertForSequenceClassification, "gpt2": GPT2ForSequenceClassification}[family](config)
    state = read_safetensors(f"{model_dir}/model.safetensors")
    if lm_head:
        state["score.weight"] = model.score.weight.detach()  # GPT2LMHeadModel has no score head
    if family == "bert":
        # from_pretrained accepts a base BertModel checkpoint (no `bert.` prefix) for a task class.
        if not any(k.startswith("bert.") for k in state):
            state = {f"bert.{k}": v for k, v in state.items()}
    elif not any(k.startswith("transformer.") for k in state):
        state = {f"transformer.{k}": v for k, v in state.items()}
    # A base checkpoint has no head: it is initialised by transformers; here it comes from the adapter.
    if adapter_dir:
        for k, v in model.state_dict().items():
            if (k.startswith("classifier.") or k.startswith("score.")) and k not in state:
                state[k] = v
    strict_load(model, state, model_dir)
    if adapter_dir:
        apply_lora(model, adapter_dir)
    model.eval()
    inputs = json.load(open(inputs_path))
    with torch.no_grad():
        args = (torch.tensor(inputs["input_ids"]), torch.tensor(inputs["attention_mask"]))
        logits = model(*args, lm_head=True) if lm_head else model(*args)
    print(json.dumps({"logits": logits.tolist()}))


if __name__ == "__main__":
    main()
