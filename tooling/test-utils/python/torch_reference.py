"""What the PyTorch reference scripts (packages/*/test/*_reference.py) share: reading safetensors
without the safetensors package, a bare module to hang transformers' attribute names on, and
strict state-dict loading as transformers' `from_pretrained` reports it.

A script imports it by path, relative to itself:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tooling/test-utils/python"))
    from torch_reference import Holder, read_safetensors, strict_load
"""
import json
import struct

import torch
import torch.nn as nn

# safetensors dtype names → torch dtypes.
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path, dtype=None):
    """The tensors of a .safetensors file by name (F16/BF16 as float32). With `dtype` ("F32"), a
    tensor stored as anything else is an error."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if dtype is not None and info["dtype"] != dtype:
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected {dtype}")
        start, end = info["data_offsets"]
        torch_dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=torch_dtype) if end > start else torch.empty(0, dtype=torch_dtype)
        out[name] = t.reshape(info["shape"]).float() if torch_dtype in (torch.float16, torch.bfloat16) else t.reshape(info["shape"])
    return out


class Holder(nn.Module):
    """A bare module: children set as attributes give state_dict names such as `bert.encoder.layer.0`."""


def strict_load(model, state, where, tied=()):
    """Loads `state` into `model` strictly, as transformers' from_pretrained checks a checkpoint:
    every state_dict key but the tied aliases in `tied` (which follow the tensor they are tied to)
    must be present at the model's shape, and nothing may be unexpected."""
    expected = {k: v for k, v in model.state_dict().items() if k not in tied}
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    shapes = [k for k in state if k in expected and tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or shapes:
        raise SystemExit(f"{where}: missing {missing}, unexpected {unexpected}, mis-shaped {shapes}")
    result = model.load_state_dict(state, strict=False)
    if sorted(result.missing_keys) != sorted(tied) or result.unexpected_keys:
        raise SystemExit(f"{where}: tied weights not re-tied as expected: {result}")
