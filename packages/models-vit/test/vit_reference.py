"""Reference check for ViT checkpoints written by tfkit: builds transformers' ViTForImageClassification
module tree in plain PyTorch (transformers cannot be installed on these machines), so its state_dict
names and shapes are exactly what `ViTForImageClassification.from_pretrained` expects, loads
model.safetensors strictly (any missing, unexpected or mis-shaped tensor is an error) and runs it.
Config values come from config.json with ViTConfig's defaults.

    python3 vit_reference.py MODEL_DIR INPUTS_JSON

INPUTS_JSON holds {"pixel_values": [batch][channels][height][width]}; prints {"logits": [[...]]}.
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

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "gelu_new": lambda x: F.gelu(x, approximate="tanh")}


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, inner, eps = c["hidden_size"], c["intermediate_size"], c["layer_norm_eps"]
        self.heads, self.act = c["num_attention_heads"], ACTIVATIONS[c["hidden_act"]]
        self.attention = Holder()
        self.attention.attention = Holder()
        for n in ("query", "key", "value"):
            setattr(self.attention.attention, n, nn.Linear(d, d, bias=c["qkv_bias"]))
        self.attention.output = Holder()
        self.attention.output.dense = nn.Linear(d, d)
        self.intermediate = Holder()
        self.intermediate.dense = nn.Linear(d, inner)
        self.output = Holder()
        self.output.dense = nn.Linear(inner, d)
        self.layernorm_before = nn.LayerNorm(d, eps=eps)
        self.layernorm_after = nn.LayerNorm(d, eps=eps)

    def forward(self, x):
        b, t, d = x.shape
        h = self.layernorm_before(x)
        att = self.attention.attention
        q, k, v = (m(h).view(b, t, self.heads, -1).transpose(1, 2) for m in (att.query, att.key, att.value))
        probs = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        x = self.attention.output.dense((probs @ v).transpose(1, 2).reshape(b, t, d)) + x
        return self.output.dense(self.act(self.intermediate.dense(self.layernorm_after(x)))) + x


class ViTForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p, size = c["hidden_size"], c["patch_size"], c["image_size"]
        self.vit = Holder()
        emb = self.vit.embeddings = Holder()
        emb.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        emb.position_embeddings = nn.Parameter(torch.zeros(1, (size // p) ** 2 + 1, d))
        emb.patch_embeddings = Holder()
        emb.patch_embeddings.projection = nn.Conv2d(c["num_channels"], d, kernel_size=p, stride=p)
        self.vit.encoder = Holder()
        self.vit.encoder.layer = nn.ModuleList([ViTLayer(c) for _ in range(c["num_hidden_layers"])])
        self.vit.layernorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.classifier = nn.Linear(d, len(c["id2label"]))

    def forward(self, pixels):
        emb = self.vit.embeddings
        x = emb.patch_embeddings.projection(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([emb.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + emb.position_embeddings
        for layer in self.vit.encoder.layer:
            x = layer(x)
        return self.classifier(self.vit.layernorm(x)[:, 0])


def main(model_dir, inputs_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    defaults = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
                "hidden_act": "gelu", "layer_norm_eps": 1e-12, "image_size": 224, "patch_size": 16, "num_channels": 3,
                "qkv_bias": True, "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
    c = {**defaults, **c}
    if c.get("model_type") != "vit" or c.get("architectures") != ["ViTForImageClassification"]:
        raise SystemExit(f"{model_dir}/config.json: not a ViTForImageClassification checkpoint")
    model = ViTForImageClassification(c).eval()
    strict_load(model, read_safetensors(os.path.join(model_dir, "model.safetensors"), dtype="F32"), model_dir)
    with open(inputs_path) as f:
        pixels = torch.tensor(json.load(f)["pixel_values"], dtype=torch.float32)
    with torch.no_grad():
        print(json.dumps({"logits": model(pixels).tolist()}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(*sys.argv[1:3])
