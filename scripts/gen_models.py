#!/usr/bin/env python3
"""Writes the hand-constructed example models under models/.

Every weight below is chosen by hand; this script only spells them out as
JSON (position tables and step tables are long).  Run it from the project
root: `python3 scripts/gen_models.py`; it rewrites models/*.json.  The
constructions are explained in docs/examples.md.
"""
import json
import os

MAX_LEN = 64
FORMAT = "tc0c-model/1"


def zeros(r, c):
    return [[0] * c for _ in range(r)]


def unit(d, i, v=1):
    row = [0] * d
    row[i] = v
    return row


def col_matrix(d_model, width, pairs):
    """d_model x width matrix with 1 at (dst, src) for each (dst, src)."""
    m = zeros(d_model, width)
    for dst, src in pairs:
        m[dst][src] = 1
    return m


def const_query_head(kind, d_model, key_dim, value_dim, causal=False):
    """A head whose query is the constant 1 (bias only): score_j = key_j."""
    return {
        "kind": kind, "causal": causal, "d_head": 1,
        "wq": [[0] * d_model], "bq": [1],
        "wk": [unit(d_model, key_dim)],
        "wv": [unit(d_model, value_dim)],
    }


def majority():
    # d0 = +1 for '1', -1 for '0' and for BOS.  Uniform attention gives
    # floor((#1 - #0 - 1) / (n + 1)), which is 0 iff #1 > #0 and -1 otherwise.
    return {
        "format": FORMAT, "name": "majority",
        "description": "Accepts strings over {0,1} with more 1s than 0s. p = 2: every value is -1, 0 or 1 "
                       "(the average of +-1 values floored), and p = 2 holds [-2, 1].",
        "vocab": ["0", "1"], "bos": "^", "max_len": MAX_LEN, "p": 2, "d_model": 1,
        "embed": {"token": [[-1], [1], [-1]]},
        "layers": [{"attn": {"heads": [{"kind": "uniform", "d_head": 1, "wv": [[1]]}],
                             "wo": [[1]], "residual": False}}],
        "output": {"kind": "accept", "position": "last", "w": [1], "b": 1},
    }


def dyck1():
    # d0 = +1 '(' / -1 ')' / 0 BOS; d1 = floor(S_i/(i+1)) (-1 iff prefix
    # balance S_i < 0); d2 = floor(-S_i/(i+1)) (-1 iff S_i > 0);
    # d3 = [S_i < 0]; d4 = [S_i > 0]; d5 = [some prefix went negative].
    d = 6
    return {
        "format": FORMAT, "name": "dyck1",
        "description": "Accepts balanced parentheses (Dyck-1). Causal uniform attention gives the sign of "
                       "every prefix balance, a hard-attention layer finds any negative prefix. p = 2: "
                       "every value is -1, 0 or 1.",
        "vocab": ["(", ")"], "bos": "^", "max_len": MAX_LEN, "p": 2, "d_model": d,
        "embed": {"token": [unit(d, 0, 1), unit(d, 0, -1), [0] * d]},
        "layers": [
            {"attn": {"heads": [
                {"kind": "uniform", "causal": True, "d_head": 1, "wv": [unit(d, 0, 1)]},
                {"kind": "uniform", "causal": True, "d_head": 1, "wv": [unit(d, 0, -1)]}],
                "wo": col_matrix(d, 2, [(1, 0), (2, 1)])},
             "ffn": {"d_ff": 2, "w1": [unit(d, 1, -1), unit(d, 2, -1)], "act": "relu",
                     "w2": col_matrix(d, 2, [(3, 0), (4, 1)])}},
            {"attn": {"heads": [const_query_head("hard", d, 3, 3)],
                      "wo": col_matrix(d, 1, [(5, 0)])}},
        ],
        "output": {"kind": "accept", "position": "last", "w": [0, 0, 0, 0, -1, -1], "b": 1},
    }


def parity():
    # Saturated attention with score [token is 1 or BOS] averages the BOS
    # indicator (scaled to V) over BOS and the c ones: a = floor(V/(c+1)).
    # A step table maps each reachable a back to c mod 2.  p and V: the
    # smallest p for which some V <= 2^(p-1)-1 keeps floor(V/(c+1)) distinct
    # for every c <= MAX_LEN, and the largest such V.
    def distinct(V):
        vals = [V // (c + 1) for c in range(MAX_LEN + 1)]
        return len(set(vals)) == len(vals)
    p = next(p for p in range(2, 17) if any(distinct(V) for V in range(2 ** (p - 1))))
    V = max(V for V in range(2 ** (p - 1)) if distinct(V))
    values = [V // (c + 1) for c in range(MAX_LEN + 1)]
    steps = [[-(2 ** (p - 1)), MAX_LEN % 2]]
    for c in range(MAX_LEN, -1, -1):  # a grows as c shrinks
        if values[c] > steps[-1][0]:
            steps.append([values[c], c % 2])
        else:
            steps[-1][1] = c % 2
    d = 4
    return {
        "format": FORMAT, "name": "parity",
        "description": f"Accepts strings over {{0,1}} with an odd number of 1s. Saturated attention over BOS and "
                       f"the 1s computes floor(V/(c+1)), V = {V}, for c ones; a step table turns that into "
                       f"c mod 2. p = {p} is the smallest p with a V <= 2^(p-1)-1 that keeps floor(V/(c+1)) "
                       f"distinct for every c <= {MAX_LEN} (p = 12 has none): p = 2 log n + O(1), as the "
                       f"theory's c log n precision allows.",
        "vocab": ["0", "1"], "bos": "^", "max_len": MAX_LEN, "p": p, "d_model": d,
        "embed": {"token": [[0, 0, 0, 0], [1, 0, 0, 0], [1, V, 0, 0]]},
        "layers": [{
            "attn": {"heads": [const_query_head("saturated", d, 0, 1)],
                     "wo": col_matrix(d, 1, [(2, 0)])},
            "ffn": {"d_ff": 1, "w1": [unit(d, 2)], "act": {"steps": steps},
                    "w2": col_matrix(d, 1, [(3, 0)])},
        }],
        "output": {"kind": "accept", "position": "last", "w": unit(d, 3), "b": 0},
    }


def anbn():
    # d0 = +1 a / -1 b; d1 = [b]; d2 = [a]; d3 = [BOS];
    # layer 1: d4 = floor(S/(n+1)) (-1 iff #a < #b), d5 = floor(-S/(n+1))
    # (-1 iff #a > #b), d6 = [some b at j <= i] (causal hard attention);
    # ffn: d7 = [a at i after a b], d8 = [#a < #b], d9 = [#a > #b];
    # layer 2: d10 = [some position has d7] (hard attention).
    d = 11
    tok = [unit(d, 0, 1), unit(d, 0, -1), unit(d, 3)]
    tok[0][2] = 1
    tok[1][1] = 1
    w1 = [unit(d, 2), unit(d, 4, -1), unit(d, 5, -1)]
    w1[0][6] = 1
    return {
        "format": FORMAT, "name": "anbn",
        "description": "Accepts a^k b^k for k >= 1. Uniform attention compares the counts, causal hard "
                       "attention flags an a after a b, a second hard layer finds any such flag. p = 2: "
                       "every value is -1, 0 or 1.",
        "vocab": ["a", "b"], "bos": "^", "max_len": MAX_LEN, "p": 2, "d_model": d,
        "embed": {"token": tok},
        "layers": [
            {"attn": {"heads": [
                {"kind": "uniform", "d_head": 1, "wv": [unit(d, 0, 1)]},
                {"kind": "uniform", "d_head": 1, "wv": [unit(d, 0, -1)]},
                const_query_head("hard", d, 1, 1, causal=True)],
                "wo": col_matrix(d, 3, [(4, 0), (5, 1), (6, 2)])},
             "ffn": {"d_ff": 3, "w1": w1, "b1": [-1, 0, 0], "act": "relu",
                     "w2": col_matrix(d, 3, [(7, 0), (8, 1), (9, 2)])}},
            {"attn": {"heads": [const_query_head("hard", d, 7, 7)],
                      "wo": col_matrix(d, 1, [(10, 0)])}},
        ],
        "output": {"kind": "accept", "position": "last",
                   "w": [0, 0, 0, -1, 0, 0, 0, 0, -1, -1, -1], "b": 1},
    }


def first_eq_last():
    # d0 = [a]; d1 = [position 1] (from the position table); d3 = [BOS];
    # hard attention to position 1 copies its d0 into d2; the ffn computes
    # d4 = [d0 == d2] as relu(d0 + d2 - 1) + relu(1 - d0 - d2).
    d = 5
    pos = zeros(MAX_LEN + 1, d)
    pos[1][1] = 1
    return {
        "format": FORMAT, "name": "first_eq_last",
        "description": "Accepts non-empty strings over {a,b} whose first and last symbols are equal (an AC0 "
                       "task). Hard attention reads position 1 through a one-hot position feature. p = 2: "
                       "the residual stream holds 0s and 1s, the hidden units -1..1.",
        "vocab": ["a", "b"], "bos": "^", "max_len": MAX_LEN, "p": 2, "d_model": d,
        "embed": {"token": [unit(d, 0), [0] * d, unit(d, 3)], "position": pos},
        "layers": [{
            "attn": {"heads": [const_query_head("hard", d, 1, 0)],
                     "wo": col_matrix(d, 1, [(2, 0)])},
            "ffn": {"d_ff": 2, "w1": [[1, 0, 1, 0, 0], [-1, 0, -1, 0, 0]], "b1": [-1, 1], "act": "relu",
                    "w2": col_matrix(d, 2, [(4, 0), (4, 1)])},
        }],
        "output": {"kind": "accept", "position": "last", "w": [0, 0, 0, -1, 1], "b": 0},
    }


def prefix_majority():
    # Per-position labels: causal uniform attention as in majority; label
    # '1' where the prefix so far has more 1s than 0s.
    return {
        "format": FORMAT, "name": "prefix_majority",
        "description": "Labels every position 1 if the prefix up to it has more 1s than 0s, else 0 (a "
                       "per-position output). p = 2, as in majority.",
        "vocab": ["0", "1"], "bos": "^", "max_len": MAX_LEN, "p": 2, "d_model": 1,
        "embed": {"token": [[-1], [1], [-1]]},
        "layers": [{"attn": {"heads": [{"kind": "uniform", "causal": True, "d_head": 1, "wv": [[1]]}],
                             "wo": [[1]], "residual": False}}],
        "output": {"kind": "label", "labels": ["0", "1"], "w": [[0], [1]], "b": [0, 1]},
    }


def parity_ln():
    # Chiang & Cholak (2022) style: i/N positions, cos(i pi) signs, layer
    # norm, one file for every n <= max_len (docs/examples.md).  Channels:
    # 0 S*[token is 1], 1 f = floor(S i / N), 2 (-1)^i, 3 a = floor(S c / N)
    # for c ones, 4/5 hi/lo of a^2, 6/7 hi/lo of f^2, 8/9 the answer +-.
    p, S, max_len, d = 8, 127, 100, 10  # S >= N = n + 1 makes f injective
    pmin, half = -(2 ** (p - 1)), 2 ** (p - 1)
    # One table serves both halves: h = v - 128 < 0 gives hi(v^2) =
    # floor(v^2 / 128), h = v >= 0 gives lo(v^2) = v^2 mod 128.
    act = [((h + half) ** 2) // half if h < 0 else (h * h) % half for h in range(pmin, half)]
    uniform = {"kind": "uniform", "d_head": 1, "wv": [unit(d, 0)]}
    # score = 2 a f - (128 hi_f + lo_f) - (128 hi_a + lo_a) = -(f - a)^2:
    # 0 exactly at the position k = c (f_k = a), at most -1 elsewhere.
    find = {"kind": "hard", "d_head": 6,
            "wq": [unit(d, 3), unit(d, 3), [0] * d, [0] * d, unit(d, 4), unit(d, 5)],
            "bq": [0, 0, pmin, -1, 0, 0],
            "wk": [unit(d, 1), unit(d, 1), unit(d, 6), unit(d, 7), [0] * d, [0] * d],
            "bk": [0, 0, 0, 0, pmin, -1],
            "wv": [unit(d, 2)] + [[0] * d] * 5}
    wo = zeros(d, 6)
    wo[8][0], wo[9][0] = 1, -1
    return {
        "format": FORMAT, "name": "parity_ln",
        "description": "Accepts strings over {0,1} with an odd number of 1s, for every length up to max_len from "
                       "one file, in the style of Chiang & Cholak (2022): positions floor(S i/N) and (-1)^i, "
                       "uniform attention computes a = floor(S c/N) for c ones, a hard head with score "
                       "-(f_j - a)^2 finds position c and reads (-1)^c, and a post-LN normalizes the answer.",
        "vocab": ["0", "1"], "bos": "^", "max_len": max_len, "p": p, "d_model": d,
        "embed": {"token": [[0] * d, unit(d, 0, S), [0] * d],
                  "position_terms": [{"channel": 1, "kind": "frac", "scale": S},
                                     {"channel": 2, "kind": "alt", "scale": 1}]},
        "layers": [
            {"attn": {"heads": [uniform], "wo": col_matrix(d, 1, [(3, 0)])},
             "ffn": {"d_ff": 4, "w1": [unit(d, 3), unit(d, 3), unit(d, 1), unit(d, 1)],
                     "b1": [pmin, 0, pmin, 0], "act": act,
                     "w2": col_matrix(d, 4, [(4, 0), (5, 1), (6, 2), (7, 3)])}},
            {"attn": {"heads": [find], "wo": wo, "residual": False,
                      "ln_post": {"gamma": [16] * d, "eps": 1}}},
        ],
        "output": {"kind": "accept", "position": "last", "w": unit(d, 9), "b": 0},
    }


def write(model):
    path = os.path.join("models", model["name"] + ".json")
    with open(path, "w") as f:
        # One matrix row per line: readable, and diffs stay small.
        text = json.dumps(model, indent=1)
        f.write(compact_rows(text) + "\n")
    print("wrote", path)


def compact_rows(text):
    """Puts every innermost list of numbers on one line."""
    import re
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


if __name__ == "__main__":
    for make in (majority, dyck1, parity, anbn, first_eq_last, prefix_majority, parity_ln):
        write(make())
