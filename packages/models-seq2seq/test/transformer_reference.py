"""Reference check for Transformer checkpoints written by tfkit: builds transformers' MarianMTModel
module tree in plain PyTorch (transformers cannot be installed on these machines), so the state_dict
names and shapes are exactly what `MarianMTModel.from_pretrained` expects, loads model.safetensors
strictly as transformers does (every key must be present but the tied aliases of
`_tied_weights_keys` and the sinusoid tables of `_keys_to_ignore_on_load_missing`, which
`_init_weights` fills; nothing unexpected or mis-shaped) and runs the eager forward pass of
modeling_marian.py. Config values come from config.json with MarianConfig's defaults.

    python3 transformer_reference.py MODEL_DIR INPUTS_JSON

INPUTS_JSON holds {"input_ids", "attention_mask", "decoder_input_ids", "max_new_tokens"}; prints
{"logits": [...], "greedy": [...]}: the teacher-forced logits and greedy decoding from
decoder_start_token_id (each row up to its first eos, or max_new_tokens tokens).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tooling/test-utils/python"))
from torch_reference import Holder, read_safetensors, strict_load  # noqa: E402

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "swish": F.silu, "silu": F.silu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "tanh": torch.tanh}
DEFAULTS = {"vocab_size": 58101, "decoder_vocab_size": None, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12,
            "encoder_ffn_dim": 4096, "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096, "decoder_attention_heads": 16,
            "activation_function": "gelu", "scale_embedding": False, "pad_token_id": 58100, "eos_token_id": 0, "decoder_start_token_id": 58100,
            "share_encoder_decoder_embeddings": True, "tie_word_embeddings": True}
MIN = torch.finfo(torch.float32).min


def sinusoids(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding._init_weight: sines in the first half, cosines in the second."""
    position_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim)
    sentinel = dim // 2 if dim % 2 == 0 else (dim // 2) + 1
    out[:, 0:sentinel] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
    out[:, sentinel:] = torch.FloatTensor(np.cos(position_enc[:, 1::2]))
    return out


def attention_module(d):
    m = Holder()
    for name in ("k_proj", "v_proj", "q_proj", "out_proj"):
        setattr(m, name, nn.Linear(d, d))
    return m


def attend(m, x, source, mask, heads):
    """MarianAttention (eager): scaled dot products, additive mask, softmax, out_proj."""
    b, t, d = x.shape
    split = lambda y: y.view(b, -1, heads, d // heads).transpose(1, 2)
    q, k, v = split(m.q_proj(x)), split(m.k_proj(source)), split(m.v_proj(source))
    probs = torch.softmax(q @ k.transpose(2, 3) * (d // heads) ** -0.5 + mask, dim=-1)
    return m.out_proj((probs @ v).transpose(1, 2).reshape(b, t, d))


def layer(d, ffn, cross):
    m = Holder()
    m.self_attn = attention_module(d)
    m.self_attn_layer_norm = nn.LayerNorm(d)
    if cross:
        m.encoder_attn = attention_module(d)
        m.encoder_attn_layer_norm = nn.LayerNorm(d)
    m.fc1, m.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
    m.final_layer_norm = nn.LayerNorm(d)
    return m


def stack(c, side, embed_tokens):
    d = c["d_model"]
    s = Holder()
    s.embed_tokens = embed_tokens
    s.embed_positions = nn.Embedding(c["max_position_embeddings"], d)
    s.layers = nn.ModuleList(layer(d, c[f"{side}_ffn_dim"], side == "decoder") for _ in range(c[f"{side}_layers"]))
    return s


def padding_mask(mask):
    return (1.0 - mask[:, None, None, :].float()) * MIN


class MarianMTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, vocab, pad = c["d_model"], c["vocab_size"], c["pad_token_id"]
        target_vocab = vocab if c["share_encoder_decoder_embeddings"] else c["decoder_vocab_size"]
        self.model = Holder()
        if c["share_encoder_decoder_embeddings"]:
            self.model.shared = nn.Embedding(vocab, d, pad)
            encoder_tokens = decoder_tokens = self.model.shared
            self.tied = ["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"]
        else:
            # MarianModel deep-copies one vocab_size table for each side.
            encoder_tokens, decoder_tokens = nn.Embedding(vocab, d, pad), nn.Embedding(vocab, d, pad)
            self.tied = []
        self.model.encoder = stack(c, "encoder", encoder_tokens)
        self.model.decoder = stack(c, "decoder", decoder_tokens)
        self.register_buffer("final_logits_bias", torch.zeros((1, target_vocab)))
        self.lm_head = nn.Linear(d, target_vocab, bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = decoder_tokens.weight
            self.tied.append("lm_head.weight")
        self.ignored = ["model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"]
        self.scale = math.sqrt(d) if c["scale_embedding"] else 1.0
        self.act = ACTIVATIONS[c["activation_function"]]

    def init_positions(self):
        for s in (self.model.encoder, self.model.decoder):
            s.embed_positions.weight.data = sinusoids(self.c["max_position_embeddings"], self.c["d_model"])

    def ffn(self, m, x):
        return m.final_layer_norm(x + m.fc2(self.act(m.fc1(x))))

    def embed(self, s, ids):
        return s.embed_tokens(ids) * self.scale + s.embed_positions(torch.arange(ids.shape[1]))

    def encode(self, input_ids, attention_mask):
        heads = self.c["encoder_attention_heads"]
        x = self.embed(self.model.encoder, input_ids)
        mask = padding_mask(attention_mask)
        for m in self.model.encoder.layers:
            x = m.self_attn_layer_norm(x + attend(m.self_attn, x, x, mask, heads))
            x = self.ffn(m, x)
        return x

    def decode(self, x, attention_mask, decoder_input_ids):
        heads = self.c["decoder_attention_heads"]
        t = decoder_input_ids.shape[1]
        causal = torch.full((t, t), MIN).triu(1)[None, None]
        enc_mask = padding_mask(attention_mask)
        y = self.embed(self.model.decoder, decoder_input_ids)
        for m in self.model.decoder.layers:
            y = m.self_attn_layer_norm(y + attend(m.self_attn, y, y, causal, heads))
            y = m.encoder_attn_layer_norm(y + attend(m.encoder_attn, y, x, enc_mask, heads))
            y = self.ffn(m, y)
        return self.lm_head(y) + self.final_logits_bias

    def greedy(self, input_ids, attention_mask, max_new_tokens):
        x = self.encode(input_ids, attention_mask)
        rows = [[self.c["decoder_start_token_id"]] for _ in range(input_ids.shape[0])]
        for _ in range(max_new_tokens):
            live = [i for i, r in enumerate(rows) if len(r) == 1 or r[-1] != self.c["eos_token_id"]]
            if not live:
                break
            for i in live:
                logits = self.decode(x[i:i + 1], attention_mask[i:i + 1], torch.tensor([rows[i]]))
                rows[i].append(int(logits[0, -1].argmax()))
        return rows


def main(model_dir, inputs_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = {**DEFAULTS, **json.load(f)}
    c["decoder_vocab_size"] = c["decoder_vocab_size"] or c["vocab_size"]
    if c.get("model_type") != "marian" or (c.get("architectures") or [None])[0] != "MarianMTModel":
        raise SystemExit(f"{model_dir}/config.json: not a MarianMTModel checkpoint")
    model = MarianMTModel(c).eval()
    strict_load(model, read_safetensors(os.path.join(model_dir, "model.safetensors"), dtype="F32"), model_dir, tied=model.tied + model.ignored)
    model.init_positions()
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids, mask = torch.tensor(inputs["input_ids"]), torch.tensor(inputs["attention_mask"])
    with torch.no_grad():
        logits = model.decode(model.encode(ids, mask), mask, torch.tensor(inputs["decoder_input_ids"]))
        greedy = model.greedy(ids, mask, inputs["max_new_tokens"])
    print(json.dumps({"logits": logits.tolist(), "greedy": greedy}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(*sys.argv[1:3])
