#!/usr/bin/env python3
"""Writes the random models of tests/rtl_models/ (used by tests/refrtl.sh).

Deterministic: python3 tests/rtl_models/gen.py rewrites the same files.
Each model mixes features the arithmetic RTL must get bit-exact: every
attention kind, causal masks, several heads and layers, shifts (rounding),
saturation, residual on/off, relu/identity/array/step tables, softmax exp
tables with zeros (z = 0), accept at the first or last position, label
outputs, vocabularies of 1 to 5 symbols, with and without BOS.
"""
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def mat(rng, rows, cols, lo, hi, zero=0.3):
    return [[0 if rng.random() < zero else rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def vec(rng, n, lo, hi, zero=0.3):
    return [0 if rng.random() < zero else rng.randint(lo, hi) for _ in range(n)]


def table(rng, p, style):
    lo, hi = -(1 << (p - 1)), (1 << (p - 1)) - 1
    if style == "array":
        return [rng.randint(lo, hi) for _ in range(1 << p)]
    # steps
    xs = sorted(rng.sample(range(lo + 1, hi + 1), min(6, hi - lo)))
    return {"steps": [[lo, rng.randint(lo, hi)]] + [[x, rng.randint(lo, hi)] for x in xs]}


def head(rng, kind, d, p, big):
    dh = rng.randint(1, 2)
    wl = 1000 if big else 3
    h = {"kind": kind, "causal": rng.random() < 0.5, "d_head": dh,
         "wv": mat(rng, dh, d, -wl, wl), "bv": vec(rng, dh, -4 * wl, 4 * wl),
         "v_shift": rng.choice([0, 1, 2]) + (11 if big else 0)}
    if kind != "uniform":
        h.update({"wq": mat(rng, dh, d, -wl, wl), "bq": vec(rng, dh, -4, 4),
                  "q_shift": rng.choice([0, 1]) + (11 if big else 0),
                  "wk": mat(rng, dh, d, -wl, wl), "bk": vec(rng, dh, -4, 4),
                  "k_shift": rng.choice([0, 1]) + (11 if big else 0),
                  "score_shift": rng.choice([0, 1, 2])})
    if kind == "softmax":
        h["exp"] = [0 if rng.random() < 0.4 else rng.randint(1, 1 << rng.choice([2, 6, 20])) for _ in range(1 << p)]
    return h


def model(seed, name, p, vocab, bos, d, kinds_per_layer, out_kind, at_first=False, big=False, ffn_act=None):
    rng = random.Random(seed)
    lo, hi = -(1 << (p - 1)), (1 << (p - 1)) - 1
    nv = len(vocab) + (1 if bos else 0)
    max_len = 8
    m = {"format": "tc0c-model/1", "name": name,
         "description": "Random test model for the arithmetic RTL (tests/rtl_models/gen.py, seed %d)." % seed,
         "vocab": vocab, "max_len": max_len, "p": p, "d_model": d,
         "embed": {"token": mat(rng, nv, d, lo, hi, 0.1), "position": mat(rng, max_len + (1 if bos else 0), d, lo, hi, 0.5)},
         "layers": []}
    if bos:
        m["bos"] = bos
    for li, kinds in enumerate(kinds_per_layer):
        layer = {}
        if kinds:
            heads = [head(rng, k, d, p, big) for k in kinds]
            width = sum(h["d_head"] for h in heads)
            layer["attn"] = {"heads": heads, "wo": mat(rng, d, width, -3, 3), "bo": vec(rng, d, -3, 3),
                             "shift": rng.choice([0, 1, 2]), "residual": rng.random() < 0.7}
        act = ffn_act[li] if ffn_act else rng.choice(["relu", "identity", "array", "steps"])
        if act is not None:
            dff = rng.randint(1, 3)
            a = act if act in ("relu", "identity") else table(rng, p, act)
            layer["ffn"] = {"d_ff": dff, "w1": mat(rng, dff, d, -3, 3), "b1": vec(rng, dff, -5, 5),
                            "shift1": rng.choice([0, 1, 3]), "act": a, "w2": mat(rng, d, dff, -3, 3),
                            "b2": vec(rng, d, -5, 5), "shift2": rng.choice([0, 1]), "residual": rng.random() < 0.7}
        m["layers"].append(layer)
    if out_kind == "accept":
        m["output"] = {"kind": "accept", "position": "first" if at_first else "last",
                       "w": vec(rng, d, -3, 3, 0.2), "b": rng.randint(-3, 3)}
    else:
        nl = out_kind
        m["output"] = {"kind": "label", "labels": ["L%d" % i for i in range(nl)],
                       "w": mat(rng, nl, d, -3, 3, 0.2), "b": vec(rng, nl, -3, 3)}
    return m


TC0C = os.path.join(HERE, "..", "..", "build", "tc0c")


def variety(m):
    """How much the reference output varies over 40 random strings of length
    1..5: the sum over lengths of (distinct outputs - 1).  A model whose
    output never changes tests little."""
    path = os.path.join(HERE, m["name"] + ".json")
    with open(path, "w") as f:
        json.dump(m, f, indent=1)
        f.write("\n")
    rng = random.Random(0)
    seen = set()
    for _ in range(40):
        n = rng.randint(1, 5)
        s = "".join(rng.choice(m["vocab"]) for _ in range(n))
        r = subprocess.run([TC0C, "run", path, s], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("tc0c run failed on %s: %s" % (path, r.stderr))
        seen.add((n, r.stdout.strip()))
    return len(seen) - len({n for n, _ in seen})


def pick(want, **kw):
    """The first seed from 1 whose model reaches `want` distinct outputs."""
    for seed in range(1, 2000):
        m = model(seed, **kw)
        if variety(m) >= want:
            return m
    sys.exit("no seed gives %d distinct outputs for %s" % (want, kw["name"]))


MODELS = [
    pick(3, name="rand_accept", p=4, vocab=["a", "b", "c"], bos="^", d=3,
         kinds_per_layer=[["softmax"], ["softmax", "uniform"]], out_kind="accept"),
    pick(15, name="rand_softmax", p=5, vocab=["a", "b", "c"], bos="^", d=3,
         kinds_per_layer=[["softmax", "softmax"], ["softmax"]], out_kind=6),
    pick(10, name="rand_hard", p=3, vocab=["a", "b"], bos="^", d=3, kinds_per_layer=[["hard", "hard"], ["saturated"]],
         out_kind=3),
    pick(4, name="rand_saturated", p=5, vocab=["x", "y", "z", "w"], bos=None, d=2,
         kinds_per_layer=[["saturated", "softmax"]], out_kind="accept", at_first=True),
    pick(15, name="rand_uniform", p=4, vocab=["0", "1", "2", "3", "4"], bos="^", d=2,
         kinds_per_layer=[["uniform"], ["uniform", "hard"], []], out_kind=5, ffn_act=[None, "steps", "array"]),
    pick(12, name="rand_mixed", p=6, vocab=["a", "b", "c"], bos="^", d=4,
         kinds_per_layer=[["softmax", "hard", "saturated", "uniform"]], out_kind=2, ffn_act=["array"]),
    pick(10, name="rand_big", p=8, vocab=["a", "b"], bos="^", d=3, kinds_per_layer=[["softmax", "saturated"]],
         out_kind=4, big=True, ffn_act=["relu"]),
    pick(10, name="rand_nobos", p=3, vocab=["a", "b", "c"], bos=None, d=3, kinds_per_layer=[["hard"], ["softmax"]],
         out_kind=4, ffn_act=["steps", "relu"]),
    pick(0, name="rand_onesym", p=4, vocab=["a"], bos="^", d=2, kinds_per_layer=[["uniform", "softmax"]],
         out_kind="accept", ffn_act=["identity"]),
    pick(10, name="rand_wide", p=12, vocab=["a", "b"], bos="^", d=3, kinds_per_layer=[["saturated", "softmax"]],
         out_kind=4, ffn_act=["steps"]),
]
