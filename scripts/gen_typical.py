#!/usr/bin/env python3
"""Writes models/typical/*.json: random-weight models shaped like the small
quantized transformers users export (int8-style weights, GELU and exp
tables, real shifts), the workload of issue 13's scaling targets.

They solve no task; their weights come from fixed seeds, so the files are
reproducible.  Weights are rounded Gaussians clipped to p bits with a
standard deviation of a quarter of the range (what symmetric per-tensor
quantization of a trained layer gives); each shift is log2 of the expected
accumulator spread over the value spread, so requantized values use the p-bit
range instead of saturating.  Tables are fixed-point functions with f
fractional bits (f = p/2): GELU(x) and a softmax exp table
round(2^E * exp((s - pmax) / 2^f)) that puts the largest weight at 2^E.

Run from the project root: `python3 scripts/gen_typical.py`; it rewrites
models/typical/{a,b,c,d,e}.json.  The shapes (issue 13):
  a  p 8, d_model 8, 2 layers, 2 softmax heads d_head 4, d_ff 32, GELU, accept
  b  as a, causal softmax heads, one label per position
  c  p 6, d_model 16, 2 layers, hard and saturated heads d_head 8, relu
  d  p 12, d_model 4, 1 layer, one softmax head
  e  p 16, d_model 2, a uniform head and a relu FFN
"""
import json
import math
import os
import random
import re

FORMAT = "tc0c-model/1"
INT_ARRAY = re.compile(r"\[\s+(-?\d+(?:,\s+-?\d+)*)\s+\]")
MAX_LEN = 64
VOCAB = ["a", "b", "c", "d"]
BOS = "^"
EXP_BITS = 16  # the largest softmax weight is 2^16 (tables allow 2^20)


def prange(p):
    return -(2 ** (p - 1)), 2 ** (p - 1) - 1


def rint(rng, p, sd_frac=0.25):
    lo, hi = prange(p)
    v = round(rng.gauss(0.0, sd_frac * 2 ** (p - 1)))
    return max(lo, min(hi, v))


def rmat(rng, rows, cols, p):
    return [[rint(rng, p) for _ in range(cols)] for _ in range(rows)]


def rvec(rng, n, p):
    return [rint(rng, p, 0.05) for _ in range(n)]


def shift_for(fan_in, p):
    """Accumulator of fan_in products of two p-bit values with sd of a
    quarter range: spread sqrt(fan_in) * (2^(p-3))^2; map it back to a
    spread of 2^(p-3)."""
    return max(0, round(math.log2(math.sqrt(fan_in) * 2 ** (p - 3))))


def gelu_table(p):
    lo, hi = prange(p)
    f = p // 2
    out = []
    for v in range(lo, hi + 1):
        x = v / 2 ** f
        y = 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))
        out.append(max(lo, min(hi, round(y * 2 ** f))))
    return out


def exp_table(p):
    lo, hi = prange(p)
    f = p // 2
    return [round(2 ** EXP_BITS * math.exp((s - hi) / 2 ** f)) for s in range(lo, hi + 1)]


def head(rng, kind, p, d_model, d_head, causal=False):
    h = {"kind": kind, "d_head": d_head}
    if causal:
        h["causal"] = True
    if kind != "uniform":
        h.update({"wq": rmat(rng, d_head, d_model, p), "bq": rvec(rng, d_head, p), "q_shift": shift_for(d_model, p),
                  "wk": rmat(rng, d_head, d_model, p), "bk": rvec(rng, d_head, p), "k_shift": shift_for(d_model, p),
                  "score_shift": shift_for(d_head, p)})
    h.update({"wv": rmat(rng, d_head, d_model, p), "bv": rvec(rng, d_head, p), "v_shift": shift_for(d_model, p)})
    if kind == "softmax":
        h["exp"] = exp_table(p)
    return h


def layer(rng, p, d_model, kinds, d_head, d_ff, act, causal=False):
    heads = [head(rng, k, p, d_model, d_head, causal) for k in kinds]
    width = d_head * len(heads)
    lay = {"attn": {"heads": heads, "wo": rmat(rng, d_model, width, p), "bo": rvec(rng, d_model, p),
                    "shift": shift_for(width, p)}}
    if d_ff:
        lay["ffn"] = {"d_ff": d_ff, "w1": rmat(rng, d_ff, d_model, p), "b1": rvec(rng, d_ff, p),
                      "shift1": shift_for(d_model, p), "act": act,
                      "w2": rmat(rng, d_model, d_ff, p), "b2": rvec(rng, d_model, p),
                      "shift2": shift_for(d_ff, p)}
    return lay


def model(name, seed, p, d_model, n_layers, kinds, d_head, d_ff, act, causal=False, labels=None, what=""):
    rng = random.Random(seed)
    m = {
        "format": FORMAT, "name": f"typical_{name}",
        "description": f"Typical shape ({what}); random weights from seed {seed} "
                       "(scripts/gen_typical.py); solves no task.",
        "vocab": VOCAB, "bos": BOS, "max_len": MAX_LEN, "p": p, "d_model": d_model,
        "scales": {"embed": p // 2, "tables": p // 2},
        "embed": {"token": rmat(rng, len(VOCAB) + 1, d_model, p),
                  "position": [[rint(rng, p, 0.1) for _ in range(d_model)] for _ in range(MAX_LEN + 1)]},
        "layers": [layer(rng, p, d_model, kinds, d_head, d_ff,
                         gelu_table(p) if act == "gelu" else act, causal) for _ in range(n_layers)],
    }
    if labels:
        m["output"] = {"kind": "label", "labels": labels, "w": rmat(rng, len(labels), d_model, p),
                       "b": rvec(rng, len(labels), p)}
    else:
        m["output"] = {"kind": "accept", "position": "last", "w": rmat(rng, 1, d_model, p)[0], "b": 0}
    return m


MODELS = [
    model("a", 1, 8, 8, 2, ["softmax", "softmax"], 4, 32, "gelu",
          what="p 8, d_model 8, 2 layers, 2 softmax heads d_head 4, d_ff 32, GELU table, accept"),
    model("b", 2, 8, 8, 2, ["softmax", "softmax"], 4, 32, "gelu", causal=True, labels=["x", "y", "z"],
          what="p 8, d_model 8, 2 layers, 2 causal softmax heads d_head 4, d_ff 32, GELU table, a label per position"),
    model("c", 3, 6, 16, 2, ["hard", "saturated"], 8, 32, "relu",
          what="p 6, d_model 16, 2 layers, a hard and a saturated head d_head 8, d_ff 32, relu, accept"),
    model("d", 4, 12, 4, 1, ["softmax"], 4, 0, None,
          what="p 12, d_model 4, 1 layer, one softmax head d_head 4, accept"),
    model("e", 5, 16, 2, 1, ["uniform"], 2, 4, "relu",
          what="p 16, d_model 2, 1 layer, a uniform head d_head 2 and a relu FFN d_ff 4, accept"),
]


def dump(m):
    """JSON with every array of integers on one line (one matrix row per line)."""
    text = json.dumps(m, indent=1)
    return INT_ARRAY.sub(lambda g: "[" + re.sub(r"\s+", " ", g.group(1)) + "]", text) + "\n"


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(root, "models", "typical"), exist_ok=True)
    for m in MODELS:
        path = os.path.join(root, "models", "typical", m["name"].removeprefix("typical_") + ".json")
        with open(path, "w") as f:
            f.write(dump(m))
        print("wrote", os.path.relpath(path, root))
