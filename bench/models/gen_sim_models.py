#!/usr/bin/env python3
"""Writes the models under bench/models/ (run from the project root:
`python3 bench/models/gen_sim_models.py`).  They exist for the simulation
benchmark and regression (docs/simulation.md), not as examples:

- bench4: 4 symbols, p = 3, one layer with a causal softmax, a causal hard
  and a causal uniform head and a ReLU feed-forward; one of 3 labels per
  position.  A synthetic mixture of every expensive construction: n = 64
  gives 11,275 threshold gates, 128 input and 128 output bits.
- wide4: 4 symbols (2 bits a token) and 4 labels (2 bits a position), a
  causal uniform head; cheap (960 gates at n = 64) but with ports wider than
  64 bits, so the harnesses' wide-port paths get exercised.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def unit(d, i, v=1):
    r = [0] * d
    r[i] = v
    return r


def bench4():
    d = 6
    # d0 = +1 a / -1 b, d1 = +1 c / -1 d (BOS all 0).  Head 0 (softmax,
    # score d1, exp weights 0,0,0,1,1,2,4,8 for scores -4..3) averages d0
    # into d2; head 1 (hard, score d0) copies d1 of the best-scoring
    # position into d3; head 2 (uniform) averages d1 into d4.  The ReLU
    # layer writes d5 = relu(d2 + d3) - relu(d4 + d5); the label is lo, mid
    # or hi as d5 is negative, zero or positive.
    return {
        "format": "tc0c-model/1", "name": "bench4",
        "description": "Simulation benchmark (bench/models/gen_sim_models.py): a synthetic mixture of a causal "
                       "softmax, a causal hard and a causal uniform head and a ReLU layer over 4 symbols at p = 3; "
                       "one of 3 labels per position. n = 64 gives about 10^4 threshold gates.",
        "vocab": ["a", "b", "c", "d"], "bos": "^", "max_len": 128, "p": 3, "d_model": d,
        "embed": {"token": [unit(d, 0), unit(d, 0, -1), unit(d, 1), unit(d, 1, -1), [0] * d]},
        "layers": [{
            "attn": {"heads": [
                {"kind": "softmax", "causal": True, "d_head": 1, "wq": [[0] * d], "bq": [1],
                 "wk": [unit(d, 1)], "wv": [unit(d, 0)], "exp": [0, 0, 0, 1, 1, 2, 4, 8]},
                {"kind": "hard", "causal": True, "d_head": 1, "wq": [[0] * d], "bq": [1],
                 "wk": [unit(d, 0)], "wv": [unit(d, 1)]},
                {"kind": "uniform", "causal": True, "d_head": 1, "wv": [unit(d, 1)]}],
                "wo": [[0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]},
            "ffn": {"d_ff": 2, "w1": [[0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]], "act": "relu",
                    "w2": [[0, 0]] * 5 + [[1, -1]]}}],
        "output": {"kind": "label", "labels": ["lo", "mid", "hi"],
                   "w": [unit(d, 5, -1), [0] * d, unit(d, 5)], "b": [0, 1, 0]},
    }


def wide4():
    # d0 = +1 a / -1 b and BOS; the causal uniform head gives
    # d1 = floor((#a - #b - 1) / (i + 1)), 0 iff the prefix has more a than
    # b; d2 = [token is c or d].  Labels: A (more a, a/b), B (not more a,
    # a/b), C (more a, c/d), D (not more a, c/d); each case has a unique max.
    return {
        "format": "tc0c-model/1", "name": "wide4",
        "description": "Simulation regression model with ports wider than 64 bits "
                       "(bench/models/gen_sim_models.py): 4 symbols, 4 labels. Label A or C when the prefix has "
                       "more a than b, B or D otherwise; C or D when the token is c or d.",
        "vocab": ["a", "b", "c", "d"], "bos": "^", "max_len": 64, "p": 2, "d_model": 3,
        "embed": {"token": [[1, 0, 0], [-1, 0, 0], [0, 0, 1], [0, 0, 1], [-1, 0, 0]]},
        "layers": [{"attn": {"heads": [{"kind": "uniform", "causal": True, "d_head": 1, "wv": [[1, 0, 0]]}],
                             "wo": [[0], [1], [0]]}}],
        "output": {"kind": "label", "labels": ["A", "B", "C", "D"],
                   "w": [[0, 2, -2], [0, -2, -2], [0, 2, 2], [0, -2, 2]], "b": [1, -1, -1, -3]},
    }


for model in (bench4(), wide4()):
    with open(os.path.join(HERE, model["name"] + ".json"), "w") as f:
        json.dump(model, f, indent=1)
        f.write("\n")
