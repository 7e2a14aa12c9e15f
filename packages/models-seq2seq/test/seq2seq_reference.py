"""Reference check for recurrent seq2seq checkpoints written by tfkit (@tfkit/models-seq2seq).

The same architecture written in plain PyTorch: nn.Embedding, an nn.GRU / nn.LSTM / nn.RNN encoder
over a packed (right-padded) source batch, a bridge from a bidirectional encoder's final states, and a
decoder run one step at a time as in PyTorch's seq2seq translation tutorial, with Bahdanau (context
of the previous state joins the RNN input) or Luong (new state queries, tanh(W_c [c; s])) attention.
Its state_dict names and shapes must be exactly the checkpoint's: model.safetensors is loaded strictly
(only a tied output projection, re-tied to decoder.embedding.weight, may be absent).

    python3 seq2seq_reference.py MODEL_DIR INPUTS_JSON

INPUTS_JSON holds {"input_ids", "attention_mask", "decoder_input_ids"}; prints the teacher-forced
{"logits": [B][T][V], "attentions": [B][T][S] or null}.
"""
import json
import os
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.dont_write_bytecode = True  # no __pycache__ beside the shared module
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tooling/test-utils/python"))
from torch_reference import read_safetensors, strict_load  # noqa: E402

RNNS = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
DEFAULTS = {"cell": "gru", "embedding_size": 256, "hidden_size": 256, "num_layers": 1, "bidirectional": False,
            "attention": "bahdanau", "pad_token_id": 0, "tie_word_embeddings": False}


def attend(scores, values, mask):
    """Softmax over the source positions (padding excluded) and the weighted sum of the values."""
    weights = torch.softmax(scores.masked_fill(mask == 0, float("-inf")), dim=1)
    return torch.bmm(weights.unsqueeze(1), values).squeeze(1), weights


class Bahdanau(nn.Module):
    """score(s, h_i) = v^T tanh(W_q s + W_k h_i + b)"""

    def __init__(self, query, key, units):
        super().__init__()
        self.query_proj = nn.Linear(query, units, bias=False)
        self.key_proj = nn.Linear(key, units)
        self.v = nn.Linear(units, 1, bias=False)

    def forward(self, query, keys, mask):
        scores = self.v(torch.tanh(self.query_proj(query).unsqueeze(1) + self.key_proj(keys))).squeeze(2)
        return attend(scores, keys, mask)


class Luong(nn.Module):
    """score(s, h_i) = s^T h_i ("dot") or s^T W_a h_i ("general")"""

    def __init__(self, query, key, general):
        super().__init__()
        self.general = general
        if general:
            self.linear_in = nn.Linear(key, query, bias=False)

    def forward(self, query, keys, mask):
        projected = self.linear_in(keys) if self.general else keys
        return attend(torch.bmm(projected, query.unsqueeze(2)).squeeze(2), keys, mask)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["src_vocab_size"], c["embedding_size"], padding_idx=c["pad_token_id"])
        self.rnn = RNNS[c["cell"]](c["embedding_size"], c["hidden_size"], c["num_layers"], batch_first=True, bidirectional=c["bidirectional"])

    def forward(self, ids, mask):
        packed = pack_padded_sequence(self.embedding(ids), mask.sum(1), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, state


class Bridge(nn.Module):
    """Per layer: h = tanh(W_h [h_fwd; h_bwd] + b_h); LSTM: c = W_c [c_fwd; c_bwd] + b_c."""

    def __init__(self, hidden, lstm):
        super().__init__()
        self.h_proj = nn.Linear(2 * hidden, hidden)
        if lstm:
            self.c_proj = nn.Linear(2 * hidden, hidden)

    @staticmethod
    def join(s):
        layers2, b, h = s.shape
        return s.view(layers2 // 2, 2, b, h).permute(0, 2, 1, 3).reshape(layers2 // 2, b, 2 * h)

    def forward(self, state):
        if isinstance(state, tuple):
            return torch.tanh(self.h_proj(self.join(state[0]))).contiguous(), self.c_proj(self.join(state[1])).contiguous()
        return torch.tanh(self.h_proj(self.join(state))).contiguous()


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        e, h = c["embedding_size"], c["hidden_size"]
        k = h * (2 if c["bidirectional"] else 1)
        self.kind = c["attention"]
        self.embedding = nn.Embedding(c["tgt_vocab_size"], e, padding_idx=c["pad_token_id"])
        self.rnn = RNNS[c["cell"]](e + (k if self.kind == "bahdanau" else 0), h, c["num_layers"], batch_first=True)
        if self.kind == "bahdanau":
            self.attention = Bahdanau(h, k, h)
        elif self.kind in ("luong-dot", "luong-general"):
            self.attention = Luong(h, k, self.kind == "luong-general")
            self.combine = nn.Linear(k + h, h, bias=False)
        self.out_proj = nn.Linear(h, c["tgt_vocab_size"])

    def forward(self, ids, state, memory, mask):
        logits, attentions = [], []
        for t in range(ids.shape[1]):
            x = self.embedding(ids[:, t:t + 1])  # (B, 1, E)
            if self.kind == "bahdanau":
                previous = (state[0] if isinstance(state, tuple) else state)[-1]
                context, weights = self.attention(previous, memory, mask)
                out, state = self.rnn(torch.cat([x, context.unsqueeze(1)], 2), state)
                output = out[:, 0]
            else:
                out, state = self.rnn(x, state)
                output = out[:, 0]
                if self.kind != "none":
                    context, weights = self.attention(output, memory, mask)
                    output = torch.tanh(self.combine(torch.cat([context, output], 1)))
            logits.append(self.out_proj(output))
            if self.kind != "none":
                attentions.append(weights)
        return torch.stack(logits, 1), (torch.stack(attentions, 1) if attentions else None)


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = Encoder(c)
        if c["bidirectional"]:
            self.bridge = Bridge(c["hidden_size"], c["cell"] == "lstm")
        self.decoder = Decoder(c)
        self.tied = []
        if c["tie_word_embeddings"]:
            self.decoder.out_proj.weight = self.decoder.embedding.weight
            self.tied = ["decoder.out_proj.weight"]

    def forward(self, ids, mask, decoder_ids):
        memory, state = self.encoder(ids, mask)
        if hasattr(self, "bridge"):
            state = self.bridge(state)
        return self.decoder(decoder_ids, state, memory, mask)


def main(model_dir, inputs_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = {**DEFAULTS, **json.load(f)}
    if c.get("model_type") != "rnn-seq2seq":
        raise SystemExit(f"{model_dir}/config.json: model_type is {c.get('model_type')!r}, expected 'rnn-seq2seq'")
    model = Seq2Seq(c).eval()
    strict_load(model, read_safetensors(os.path.join(model_dir, "model.safetensors"), dtype="F32"), model_dir, tied=model.tied)
    with open(inputs_path) as f:
        inputs = json.load(f)
    with torch.no_grad():
        logits, attentions = model(torch.tensor(inputs["input_ids"]), torch.tensor(inputs["attention_mask"]), torch.tensor(inputs["decoder_input_ids"]))
    print(json.dumps({"logits": logits.tolist(), "attentions": None if attentions is None else attentions.tolist()}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(*sys.argv[1:3])
