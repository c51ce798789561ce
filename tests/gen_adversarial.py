#!/usr/bin/env python3
"""Writes the adversarial-shape corpus of tests/typical.sh: small valid
model files that expand into large circuits (issue 13): one softmax head
or one FFN at p = 10..16, d_model 1 or 2, tables written as step tables or
full arrays, dense random weights, an exp table that makes the softmax sum
0, 16 softmax heads at p = 16 with zero weights, and 64 layers of them.  Every compile of
these must end with exit 0 (built) or 4 (refused by the guard), never a
signal, an abort or an out-of-memory kill.

usage: python3 tests/gen_adversarial.py OUTDIR   (prints the file names)
"""
import json
import os
import random
import sys


def base(name, p, d, vocab="ab"):
    return {"format": "tc0c-model/1", "name": name, "vocab": list(vocab), "bos": "^", "max_len": 64,
            "p": p, "d_model": d, "embed": {"token": [[(-1) ** (k + j) * (2 ** (p - 1) - 1 - 3 * k - j) for j in range(d)]
                                                       for k in range(len(vocab) + 1)]},
            "output": {"kind": "accept", "w": [1] * d, "b": 0}}


def softmax_head(rng, p, d, exp, w=None):
    """Queries and keys span the whole p-bit range (shift 0), the score is
    shifted back into it: every score and every exp entry is reachable."""
    def row():
        return [w if w is not None else rng.choice((-1, 1)) for _ in range(d)]
    return {"kind": "softmax", "d_head": 1, "wq": [row()], "wk": [row()], "wv": [row()],
            "score_shift": p - 1, "exp": exp}


def models(rng):
    out = []
    for p in (10, 12, 14, 16):
        m = base(f"adv_softmax_p{p}", p, 1)
        m["layers"] = [{"attn": {"heads": [softmax_head(rng, p, 1, {"steps": [[-(2 ** (p - 1)), 1], [0, 2 ** 20]]})],
                                 "wo": [[1]]}}]
        out.append(m)
        m = base(f"adv_ffn_p{p}", p, 2)
        m["layers"] = [{"ffn": {"d_ff": 2, "w1": [[rng.choice((-1, 1)) for _ in range(2)] for _ in range(2)],
                                "act": {"steps": [[-(2 ** (p - 1)), -3], [-1, 0], [7, 5]]},
                                "w2": [[rng.randint(-999, 999) for _ in range(2)] for _ in range(2)],
                                "shift2": 3}}]
        out.append(m)
    # a softmax whose weights can all be 0 (exp sum 0) at p = 14 and 16
    for p in (14, 16):
        m = base(f"adv_zero_sum_p{p}", p, 1)
        m["layers"] = [{"attn": {"heads": [softmax_head(rng, p, 1, {"steps": [[-(2 ** (p - 1)), 0], [2 ** (p - 2), 7]]})],
                                 "wo": [[1]]}}]
        out.append(m)
    # 16 softmax heads at p = 16, all weights zero, step exp tables
    m = base("adv_16_heads_p16", 16, 1)
    m["layers"] = [{"attn": {"heads": [softmax_head(rng, 16, 1, {"steps": [[-32768, 1], [h, 3]]}, w=0)
                                       for h in range(16)], "wo": [[1] * 16]}}]
    out.append(m)
    # 64 layers x 16 softmax heads at p = 16, one step table everywhere: a
    # 120 KB file whose tables would expand to 512 MiB if not shared
    m = base("adv_64x16_step_p16", 16, 1)
    m["layers"] = [{"attn": {"heads": [softmax_head(rng, 16, 1, {"steps": [[-32768, 1], [0, 3]]}, w=0)] * 16,
                             "wo": [[0] * 16]}} for _ in range(64)]
    out.append(m)
    # a full 2^p array table (p = 12) in a dense FFN of d_model 4
    m = base("adv_dense_table_p12", 12, 4)
    m["layers"] = [{"ffn": {"d_ff": 8, "w1": [[rng.randint(-2047, 2047) for _ in range(4)] for _ in range(8)],
                            "shift1": 10, "act": [rng.randint(-2048, 2047) for _ in range(4096)],
                            "w2": [[rng.randint(-2047, 2047) for _ in range(8)] for _ in range(4)],
                            "shift2": 12}}]
    out.append(m)
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[-1].strip(), file=sys.stderr)
        return 1
    os.makedirs(sys.argv[1], exist_ok=True)
    for m in models(random.Random(13)):
        path = os.path.join(sys.argv[1], m["name"] + ".json")
        with open(path, "w") as f:
            json.dump(m, f)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
