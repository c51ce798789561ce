#!/usr/bin/env python3
"""Writes bench/models/*.json: synthetic models for benchmarks only (they
solve no task; their weights are fixed pseudo-random integers so every
attention pair and every thermometer is real work).  Regenerate with
`python3 bench/gen_bench_models.py`."""
import json
import random


def rmat(rng, r, c, lo, hi):
    return [[rng.randint(lo, hi) for _ in range(c)] for _ in range(r)]


def softmax_model(name, p, d, heads, layers, max_len, seed):
    rng = random.Random(seed)
    lo, hi = -(2 ** (p - 1)), 2 ** (p - 1) - 1
    vocab = ["a", "b", "c", "d"]
    model = {
        "format": "tc0c-model/1", "name": name,
        "description": "Benchmark only: pseudo-random weights, softmax and hard heads.",
        "vocab": vocab, "bos": "^", "max_len": max_len, "p": p, "d_model": d,
        "embed": {"token": rmat(rng, len(vocab) + 1, d, lo // 2, hi // 2),
                  "position": rmat(rng, max_len + 1, d, lo // 4, hi // 4)},
        "layers": [],
        "output": {"kind": "accept", "w": [rng.randint(-2, 2) for _ in range(d)], "b": 0},
    }
    for _ in range(layers):
        hs = []
        for h in range(heads):
            kind = "softmax" if h % 2 == 0 else "hard"
            head = {"kind": kind, "causal": h % 2 == 1, "d_head": 1,
                    "wq": rmat(rng, 1, d, -1, 1), "wk": rmat(rng, 1, d, -1, 1), "wv": rmat(rng, 1, d, -1, 1),
                    "q_shift": 1, "k_shift": 1, "v_shift": 1, "score_shift": 2}
            if kind == "softmax":
                head["exp"] = [min(2 ** 6, 2 ** max(0, (i - (2 ** (p - 1))) // 2 + 3)) for i in range(2 ** p)]
            hs.append(head)
        model["layers"].append({
            "attn": {"heads": hs, "wo": rmat(rng, d, heads, -1, 1), "shift": 1},
            "ffn": {"d_ff": d, "w1": rmat(rng, d, d, -1, 1), "act": "relu", "w2": rmat(rng, d, d, -1, 1),
                    "shift2": 1},
        })
    return model


if __name__ == "__main__":
    for m in (softmax_model("bench_softmax", 5, 4, 2, 2, 64, 1),):
        with open(f"bench/models/{m['name']}.json", "w") as f:
            json.dump(m, f, indent=1)
            f.write("\n")
        print("wrote", m["name"])
