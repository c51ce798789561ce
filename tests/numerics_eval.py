#!/usr/bin/env python3
"""An evaluator written from docs/numerics.md alone (it shares no code with
compiler/ref.c), and a random-model check against `tc0c vectors`.

It covers every section, with emphasis on the three later additions: the
length-relative position terms (2.1), the softmax with the maximum
subtracted (4.5) and the integer layer norm with its pre/post/final
placement (7).  Random models (small p and d, and p = 8) are written to a
temporary directory; `tc0c vectors` evaluates random strings of several
lengths; every vector `tc0c run --trace` prints (residual stream, layer
norms, head outputs, hidden units, activations) and the verdict must equal
this evaluator's.

With --verify it also runs `tc0c verify` (circuit against reference, on
every string) on each model for n = 1..4.

usage: tests/numerics_eval.py TC0C [--models K] [--seed S] [--verify]
Prints "numerics_eval: N passed, N failed".
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

TRACE = re.compile(r"^  (x|ln|heads|hidden|act) +pos +(\d+): \[(.*)\]$")


def fdiv(a, b):  # 1.1: floor division, b > 0
    assert b > 0
    return a // b  # Python's // is floor division


def sat(p, v):
    lo, hi = -(1 << (p - 1)), (1 << (p - 1)) - 1
    return lo if v < lo else hi if v > hi else v


def requant(p, a, s):  # 1.2
    r = (1 << (s - 1)) if s >= 1 else 0
    return sat(p, fdiv(a + r, 1 << s))


def requant_res(p, x, u, s):  # 1.3
    r = (1 << (s - 1)) if s >= 1 else 0
    return sat(p, x + fdiv(u + r, 1 << s))


def isqrt(v):  # 7.1: largest r >= 0 with r * r <= v
    r = 0
    bit = 1 << 62
    while bit > v:
        bit >>= 2
    while bit:  # digit-by-digit, independent of math.isqrt
        if v >= r + bit:
            v -= r + bit
            r = (r >> 1) + bit
        else:
            r >>= 1
        bit >>= 2
    return r


def layer_norm(ln, p, x):  # 7.1
    d = len(x)
    S = sum(x)
    u = [d * xc - S for xc in x]
    Q = sum(uc * uc for uc in u)
    r = isqrt(d * Q + ln["eps"])
    out = []
    for c in range(d):
        q = fdiv(ln["gamma"][c] * d * u[c], (1 << ln["shift"]) * r)
        out.append(sat(p, (ln["beta"][c] if "beta" in ln else 0) + q))
    return out


def table(spec, p):
    if isinstance(spec, list):
        return spec
    if spec == "relu":
        return [max(v, 0) for v in range(-(1 << (p - 1)), 1 << (p - 1))]
    if spec == "identity":
        return list(range(-(1 << (p - 1)), 1 << (p - 1)))
    raise ValueError(spec)


def affine(W, b, s, y, p):  # 3.1
    return [requant(p, (b[r] if b else 0) + sum(W[r][c] * y[c] for c in range(len(y))), s) for r in range(len(W))]


def evaluate(m, tokens, tr):
    """The output bit; appends (tag, position, vector) to tr in the order
    `tc0c run --trace` prints the x, ln, heads, hidden and act vectors."""
    p, d = m["p"], m["d_model"]
    pmin = -(1 << (p - 1))
    B = 1 if "bos" in m else 0
    n = len(tokens)
    N = n + B
    emb = m["embed"]
    nv = len(m["vocab"])
    X = []
    for i in range(N):  # 2
        tok = nv if (B and i == 0) else tokens[i - B]
        row = []
        for c in range(d):
            v = emb["token"][tok][c]
            if "position" in emb:
                v += emb["position"][i][c]
            for t in emb.get("position_terms", []):  # 2.1
                if t["channel"] != c:
                    continue
                if t["kind"] == "frac":
                    v += fdiv(t["scale"] * i, N)
                else:
                    v += t["scale"] if i % 2 == 0 else -t["scale"]
            row.append(sat(p, v))
        X.append(row)
    tr.extend(("x", i, X[i]) for i in range(N))

    def ln_all(ln, Xs):
        out = [layer_norm(ln, p, x) for x in Xs]
        tr.extend(("ln", i, out[i]) for i in range(N))
        return out

    for layer in m["layers"]:
        if "attn" in layer:
            at = layer["attn"]
            In = ln_all(at["ln_pre"], X) if "ln_pre" in at else X  # 7.2
            heads_out = [[] for _ in range(N)]
            for h in at["heads"]:
                dh = h["d_head"]
                V = [affine(h["wv"], h.get("bv"), h.get("v_shift", 0), In[j], p) for j in range(N)]
                if h["kind"] != "uniform":
                    Q = [affine(h["wq"], h.get("bq"), h.get("q_shift", 0), In[j], p) for j in range(N)]
                    K = [affine(h["wk"], h.get("bk"), h.get("k_shift", 0), In[j], p) for j in range(N)]
                for i in range(N):
                    vis = list(range(i + 1)) if h.get("causal") else list(range(N))
                    if h["kind"] == "uniform":  # 4.2
                        a = [fdiv(sum(V[j][c] for j in vis), len(vis)) for c in range(dh)]
                    else:
                        s = {j: requant(p, sum(Q[i][c] * K[j][c] for c in range(dh)), h.get("score_shift", 0))
                             for j in vis}
                        mi = max(s.values())
                        if h["kind"] == "hard":  # 4.3
                            js = min(j for j in vis if s[j] == mi)
                            a = list(V[js])
                        elif h["kind"] == "saturated":  # 4.4
                            M = [j for j in vis if s[j] == mi]
                            a = [fdiv(sum(V[j][c] for j in M), len(M)) for c in range(dh)]
                        else:  # 4.5
                            E = h["exp"]
                            if h.get("subtract_max"):
                                w = {j: E[s[j] - mi + (1 << p) - 1] for j in vis}
                            else:
                                w = {j: E[s[j] - pmin] for j in vis}
                            Z = sum(w.values())
                            a = [fdiv(sum(w[j] * V[j][c] for j in vis), Z) if Z > 0 else 0 for c in range(dh)]
                    heads_out[i].extend(a)
            tr.extend(("heads", i, heads_out[i]) for i in range(N))
            for i in range(N):  # 4.6 via 3.2
                newx = []
                for r in range(d):
                    u = (at["bo"][r] if "bo" in at else 0) + sum(at["wo"][r][c] * heads_out[i][c]
                                                                 for c in range(len(heads_out[i])))
                    if at.get("residual", True):
                        newx.append(requant_res(p, X[i][r], u, at.get("shift", 0)))
                    else:
                        newx.append(requant(p, u, at.get("shift", 0)))
                X[i] = newx
            tr.extend(("x", i, X[i]) for i in range(N))
            if "ln_post" in at:
                X = ln_all(at["ln_post"], X)
        if "ffn" in layer:
            f = layer["ffn"]
            In = ln_all(f["ln_pre"], X) if "ln_pre" in f else X
            F = table(f["act"], p)
            for i in range(N):  # 5
                hvec = affine(f["w1"], f.get("b1"), f.get("shift1", 0), In[i], p)
                g = [F[hc - pmin] for hc in hvec]
                tr.append(("hidden", i, hvec))
                tr.append(("act", i, g))
                newx = []
                for r in range(d):
                    u = (f["b2"][r] if "b2" in f else 0) + sum(f["w2"][r][c] * g[c] for c in range(len(g)))
                    if f.get("residual", True):
                        newx.append(requant_res(p, X[i][r], u, f.get("shift2", 0)))
                    else:
                        newx.append(requant(p, u, f.get("shift2", 0)))
                X[i] = newx
            tr.extend(("x", i, X[i]) for i in range(N))
            if "ln_post" in f:
                X = ln_all(f["ln_post"], X)
    if "ln_final" in m:
        X = ln_all(m["ln_final"], X)
    o = m["output"]  # 6.1 (the random models use accept outputs)
    P = 0 if o.get("position") == "first" else N - 1
    y = o.get("b", 0) + sum(o["w"][c] * X[P][c] for c in range(d))
    return 1 if y > 0 else 0


# ---- random models ----------------------------------------------------------

def rand_ln(R, p, d):
    ln = {"gamma": [R.randint(-(1 << (p + 1)), 1 << (p + 1)) for _ in range(d)],
          "beta": [R.randint(-(1 << (p - 1)), (1 << (p - 1)) - 1) for _ in range(d)],
          "shift": R.randint(0, 3), "eps": R.choice([1, 2, 7, 100, R.randint(1, 1 << 20)])}
    if R.random() < 0.3:
        del ln["beta"]
    return ln


def rand_mat(R, rows, cols, lim):
    return [[R.randint(-lim, lim) for _ in range(cols)] for _ in range(rows)]


def rand_model(R, idx, p):
    d = R.randint(1, 4)
    vocab = ["a", "b", "c"][:R.randint(2, 3)]
    bos = R.random() < 0.6
    pl, ph = -(1 << (p - 1)), (1 << (p - 1)) - 1
    m = {"format": "tc0c-model/1", "name": f"rnd{idx}", "vocab": vocab, "max_len": 12, "p": p, "d_model": d}
    if bos:
        m["bos"] = "^"
    B = 1 if bos else 0
    emb = {"token": [[R.randint(pl, ph) for _ in range(d)] for _ in range(len(vocab) + B)]}
    if R.random() < 0.3:
        emb["position"] = [[R.randint(pl, ph) for _ in range(d)] for _ in range(12 + B)]
    if R.random() < 0.8:
        emb["position_terms"] = [{"channel": R.randrange(d), "kind": R.choice(["frac", "alt"]),
                                  "scale": R.randint(-(1 << p), 1 << p)} for _ in range(R.randint(1, 3))]
    m["embed"] = emb
    layers = []
    for _ in range(R.randint(1, 2)):
        layer = {}
        if R.random() < 0.8:
            heads = []
            for _ in range(R.randint(1, 2)):
                dh = R.randint(1, 2)
                kind = R.choice(["softmax", "softmax", "hard", "saturated", "uniform"])
                h = {"kind": kind, "d_head": dh, "wv": rand_mat(R, dh, d, 2), "causal": R.random() < 0.5}
                if kind != "uniform":
                    h["wq"] = rand_mat(R, dh, d, 2)
                    h["wk"] = rand_mat(R, dh, d, 2)
                    h["score_shift"] = R.randint(0, 2)
                if kind == "softmax":
                    h["exp"] = [R.randint(0, 20) for _ in range(1 << p)]
                    if R.random() < 0.6:
                        h["subtract_max"] = True
                heads.append(h)
            W = sum(h["d_head"] for h in heads)
            at = {"heads": heads, "wo": rand_mat(R, d, W, 2), "shift": R.randint(0, 1),
                  "residual": R.random() < 0.8}
            if R.random() < 0.5:
                at["ln_pre"] = rand_ln(R, p, d)
            if R.random() < 0.4:
                at["ln_post"] = rand_ln(R, p, d)
            layer["attn"] = at
        if R.random() < 0.6 or not layer:
            dff = R.randint(1, 3)
            f = {"d_ff": dff, "w1": rand_mat(R, dff, d, 2), "act": R.choice(["relu", "identity"]),
                 "w2": rand_mat(R, d, dff, 2), "shift2": R.randint(0, 1)}
            if R.random() < 0.5:
                f["ln_pre"] = rand_ln(R, p, d)
            if R.random() < 0.4:
                f["ln_post"] = rand_ln(R, p, d)
            layer["ffn"] = f
        layers.append(layer)
    m["layers"] = layers
    if R.random() < 0.5:
        m["ln_final"] = rand_ln(R, p, d)
    m["output"] = {"kind": "accept", "position": R.choice(["first", "last"]),
                   "w": [R.randint(-3, 3) for _ in range(d)], "b": R.randint(-3, 3)}
    return m


def main():
    args = sys.argv[1:]
    tc0c = args[0] if args else "build/tc0c"
    count, seed = 60, 15
    if "--models" in args:
        count = int(args[args.index("--models") + 1])
    if "--seed" in args:
        seed = int(args[args.index("--seed") + 1])
    verify = "--verify" in args
    R = random.Random(seed)
    passed = failed = verified = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(count):
            p = 8 if k % 4 == 3 else R.choice([2, 3, 4])
            m = rand_model(R, k, p)
            path = os.path.join(tmp, f"m{k}.json")
            with open(path, "w") as fh:
                json.dump(m, fh)
            ok = True
            for t in range(10):
                n = R.randint(1, 12)
                toks = [R.randrange(len(m["vocab"])) for _ in range(n)]
                string = "".join(m["vocab"][x] for x in toks)
                r = subprocess.run([tc0c, "run", path, string, "--trace"], capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"FAIL model {k}: tc0c run exit {r.returncode}: {r.stderr.strip()}")
                    ok = False
                    break
                got = []
                for line in r.stdout.splitlines():
                    mt = TRACE.match(line)
                    if mt:
                        got.append((mt.group(1), int(mt.group(2)), [int(v) for v in mt.group(3).split()]))
                want = []
                acc = evaluate(m, toks, want)
                verdict = r.stdout.split()[-1]
                if got != want or verdict != ("accept" if acc else "reject"):
                    diff = next((f"{a} != {b}" for a, b in zip(got, want) if a != b), f"{len(got)} vs {len(want)} vectors")
                    print(f"FAIL model {k} (p={p}) string {string}: tc0c {verdict}, numerics.md {acc}; first diff {diff}")
                    with open(f"/tmp/numerics_eval_fail_{k}.json", "w") as fh:
                        json.dump(m, fh)
                    ok = False
                    break
            for n in (range(1, 5) if ok and verify else []):  # the circuit, exhaustively
                r = subprocess.run([tc0c, "verify", path, "-n", str(n), "--quiet", "--max-gates", "400000"],
                                   capture_output=True, text=True)
                if r.returncode == 4:
                    continue  # refused by the size guard: not a failure of the lowering
                if r.returncode != 0:
                    print(f"FAIL model {k} (p={p}) n={n}: tc0c verify exit {r.returncode}: {r.stderr.strip()[-400:]}")
                    with open(f"/tmp/numerics_eval_fail_{k}.json", "w") as fh:
                        json.dump(m, fh)
                    ok = False
                    break
                verified += 1
            if ok:
                passed += 1
            else:
                failed += 1
    # isqrt and the worked example of numerics 7.1
    ex = layer_norm({"gamma": [4, 4], "beta": [0, 1], "shift": 0, "eps": 1}, 4, [3, -1])
    for cond, what in [(ex == [4, -3], f"7.1 example gives {ex}"),
                       (all(isqrt(v) ** 2 <= v < (isqrt(v) + 1) ** 2 for v in list(range(2000)) + [2**62 + 2**40]),
                        "isqrt")]:
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)
    if verify:
        print(f"circuits verified: {verified}")
    print(f"numerics_eval: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
