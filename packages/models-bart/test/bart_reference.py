"""Reference check for BART checkpoints written by tfkit: builds transformers' BartForConditionalGeneration
and BartForSequenceClassification module trees in plain PyTorch (transformers cannot be installed on
these machines), so the state_dict names and shapes are exactly what `from_pretrained` expects, loads
model.safetensors strictly as transformers does (every key but the tied aliases `_tied_weights_keys`
must be present; nothing unexpected or mis-shaped) and runs the eager forward pass of
transformers 4.40's modeling_bart.py. Config values come from config.json with BartConfig's defaults.

    python3 bart_reference.py MODEL_DIR INPUTS_JSON

INPUTS_JSON holds {"input_ids", "attention_mask"} and, for conditional generation, optionally
{"decoder_input_ids", "decoder_attention_mask"}; prints {"logits": [...]}.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tooling/test-utils/python"))
from torch_reference import Holder, read_safetensors, strict_load  # noqa: E402

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "tanh": torch.tanh}
DEFAULTS = {"vocab_size": 50265, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12, "encoder_ffn_dim": 4096,
            "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096, "decoder_attention_heads": 16,
            "activation_function": "gelu", "scale_embedding": False, "pad_token_id": 1, "eos_token_id": 2,
            "decoder_start_token_id": 2, "tie_word_embeddings": True, "id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}}
MIN = torch.finfo(torch.float32).min


def attention_module(d):
    m = Holder()
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        setattr(m, name, nn.Linear(d, d))
    return m


def attend(m, x, source, mask, heads):
    """BartAttention (eager): q scaled after its projection, additive mask, softmax, out_proj."""
    b, t, d = x.shape
    split = lambda y: y.view(b, -1, heads, d // heads).transpose(1, 2)
    q = split(m.q_proj(x) * (d // heads) ** -0.5)
    k, v = split(m.k_proj(source)), split(m.v_proj(source))
    probs = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
    return m.out_proj((probs @ v).transpose(1, 2).reshape(b, t, d))


def layer(c, d, ffn, cross):
    m = Holder()
    m.self_attn = attention_module(d)
    m.self_attn_layer_norm = nn.LayerNorm(d)
    if cross:
        m.encoder_attn = attention_module(d)
        m.encoder_attn_layer_norm = nn.LayerNorm(d)
    m.fc1, m.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
    m.final_layer_norm = nn.LayerNorm(d)
    return m


def stack(c, side, shared):
    d = c["d_model"]
    s = Holder()
    s.embed_tokens = shared
    s.embed_positions = nn.Embedding(c["max_position_embeddings"] + 2, d)
    s.layers = nn.ModuleList(layer(c, d, c[f"{side}_ffn_dim"], side == "decoder") for _ in range(c[f"{side}_layers"]))
    s.layernorm_embedding = nn.LayerNorm(d)
    return s


def padding_mask(mask):
    return (1.0 - mask[:, None, None, :].float()) * MIN


class Bart(nn.Module):
    """BartForConditionalGeneration (head="lm") or BartForSequenceClassification (head="classification")."""

    def __init__(self, c, head):
        super().__init__()
        self.c, self.head = c, head
        d, vocab = c["d_model"], c["vocab_size"]
        self.model = Holder()
        self.model.shared = nn.Embedding(vocab, d, padding_idx=c["pad_token_id"])
        self.model.encoder = stack(c, "encoder", self.model.shared)
        self.model.decoder = stack(c, "decoder", self.model.shared)
        self.tied = ["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"]
        if head == "lm":
            self.register_buffer("final_logits_bias", torch.zeros((1, vocab)))
            self.lm_head = nn.Linear(d, vocab, bias=False)
            if c["tie_word_embeddings"]:
                self.lm_head.weight = self.model.shared.weight
                self.tied.append("lm_head.weight")
        else:
            self.classification_head = Holder()
            self.classification_head.dense = nn.Linear(d, d)
            self.classification_head.out_proj = nn.Linear(d, len(c["id2label"]))
        self.scale = d ** 0.5 if c["scale_embedding"] else 1.0
        self.act = ACTIVATIONS[c["activation_function"]]

    def ffn(self, m, x):
        return m.final_layer_norm(x + m.fc2(self.act(m.fc1(x))))

    def embed(self, s, ids):
        x = s.embed_tokens(ids) * self.scale + s.embed_positions(torch.arange(ids.shape[1]) + 2)
        return s.layernorm_embedding(x)

    def forward(self, input_ids, attention_mask, decoder_input_ids, decoder_attention_mask):
        enc, dec = self.model.encoder, self.model.decoder
        heads_e, heads_d = self.c["encoder_attention_heads"], self.c["decoder_attention_heads"]
        x = self.embed(enc, input_ids)
        enc_mask = padding_mask(attention_mask)
        for m in enc.layers:
            x = m.self_attn_layer_norm(x + attend(m.self_attn, x, x, enc_mask, heads_e))
            x = self.ffn(m, x)
        t = decoder_input_ids.shape[1]
        causal = torch.full((t, t), MIN).triu(1)[None, None]
        if decoder_attention_mask is not None:
            causal = causal.masked_fill(decoder_attention_mask[:, None, None, :] == 0, MIN)
        y = self.embed(dec, decoder_input_ids)
        for m in dec.layers:
            y = m.self_attn_layer_norm(y + attend(m.self_attn, y, y, causal, heads_d))
            y = m.encoder_attn_layer_norm(y + attend(m.encoder_attn, y, x, enc_mask, heads_d))
            y = self.ffn(m, y)
        if self.head == "lm":
            return self.lm_head(y) + self.final_logits_bias
        eos = input_ids.eq(self.c["eos_token_id"])
        pooled = y[eos, :].view(y.shape[0], -1, y.shape[-1])[:, -1, :]
        h = self.classification_head
        return h.out_proj(torch.tanh(h.dense(pooled)))


def shift_tokens_right(ids, pad, start):
    shifted = torch.full_like(ids, pad)
    shifted[:, 1:] = ids[:, :-1]
    shifted[:, 0] = start
    return shifted.masked_fill(shifted == -100, pad)


def main(model_dir, inputs_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = {**DEFAULTS, **json.load(f)}
    arch = (c.get("architectures") or [None])[0]
    heads = {"BartForConditionalGeneration": "lm", "BartForSequenceClassification": "classification"}
    if c.get("model_type") != "bart" or arch not in heads:
        raise SystemExit(f"{model_dir}/config.json: not a BartForConditionalGeneration / BartForSequenceClassification checkpoint")
    model = Bart(c, heads[arch]).eval()
    strict_load(model, read_safetensors(os.path.join(model_dir, "model.safetensors"), dtype="F32"), model_dir, tied=model.tied)
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs["input_ids"])
    mask = torch.tensor(inputs["attention_mask"])
    dec = torch.tensor(inputs["decoder_input_ids"]) if "decoder_input_ids" in inputs else shift_tokens_right(ids, c["pad_token_id"], c["decoder_start_token_id"])
    dec_mask = torch.tensor(inputs["decoder_attention_mask"]) if "decoder_attention_mask" in inputs else None
    with torch.no_grad():
        print(json.dumps({"logits": model(ids, mask, dec, dec_mask).tolist()}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(*sys.argv[1:3])
