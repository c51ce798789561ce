#!/usr/bin/env python3
"""difftest.py - differential testing of tc0c on random models (docs/testing.md).

For each of --models random models (seeded by --seed, model i from seed
SEED*1000003+i, so any one can be regenerated with --only I) the generator
draws every feature of docs/model-format.md: vocabulary of 1-4 symbols, BOS
or not, position embeddings or not, 0-3 layers with attention, feed-forward
or both, every attention kind, causal or not, 1-3 heads, softmax exp tables
and activation tables as arrays and as {"steps": ...}, relu/identity,
residual on or off, shifts 0..40, both output kinds (accept at the first or
last position; labels), p from 2 to 16, extreme weights (+-2^20), biases
(+-2^40) and exp entries (2^20), scales and descriptions.  Then:

  1. `tc0c check` accepts it (exit 0);
  2. `tc0c verify -n N` (N chosen so that |vocab|^N <= 4096: exhaustive)
     passes: the compiled circuit equals the reference on every string, or
     the size guard refuses it (exit 4, counted);
  3. `tc0c vectors -n N --exhaustive` and `tc0c run` on a sample of those
     strings print the same outputs (the run and vectors formats of
     docs/cli.md), and `run` of the empty string works for BOS models;
  4. every --sim-every'th compiled model goes through sim/sim.sh in
     Verilator and Icarus, gate style and pipelining rotating over
     thr/maj/cells and 0/1/2;
  5. no command crashes: exit codes only as above, no "internal error", no
     sanitizer report.

Prints one line per failure and a summary; the last line is
"difftest: N passed, N failed" (one per model); exits 1 on any failure.
Failing models are kept in --keep (default build/difftest/failed/).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

MAX_WEIGHT = 1 << 20
MAX_BIAS = 1 << 40
MAX_EXP = 1 << 20
MAX_SHIFT = 40
SYMBOLS = "01abxy()+-"
BOS_SYMBOLS = "^$#"


def pmin(p):
    return -(1 << (p - 1))


def pmax(p):
    return (1 << (p - 1)) - 1


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.extreme = 0.0  # per-entry chance of an extreme value, per model

    def weight(self):
        r = self.r.random()
        if r < self.extreme / 2:
            return self.r.choice([MAX_WEIGHT, -MAX_WEIGHT])
        if r < self.extreme:
            return self.r.randint(-MAX_WEIGHT, MAX_WEIGHT)
        return self.r.randint(-3, 3)

    def bias(self):
        r = self.r.random()
        if r < self.extreme / 2:
            return self.r.choice([MAX_BIAS, -MAX_BIAS])
        if r < self.extreme:
            return self.r.randint(-MAX_BIAS, MAX_BIAS)
        return self.r.randint(-4, 4)

    def shift(self):
        r = self.r.random()
        if r < 0.05 + self.extreme:
            return self.r.randint(0, MAX_SHIFT)
        return self.r.randint(0, 3)

    def value(self, p):
        return self.r.randint(pmin(p), pmax(p))

    def mat(self, rows, cols):
        return [[self.weight() for _ in range(cols)] for _ in range(rows)]

    def vec(self, n, f):
        return [f() for _ in range(n)]

    def table(self, p, lo, hi):
        """A table over 2^p inputs: an array (small p) or steps."""
        size = 1 << p
        pick = (lambda: self.r.choice([lo, hi])) if self.r.random() < 0.2 + self.extreme else (lambda: self.r.randint(lo, hi))
        if p <= 8 and self.r.random() < 0.5:
            return [pick() for _ in range(size)]
        k = self.r.randint(1, min(6, size))
        xs = sorted(self.r.sample(range(pmin(p) + 1, pmax(p) + 1), k - 1))
        return {"steps": [[x, pick()] for x in [pmin(p)] + xs]}

    def maybe(self, obj, key, f, prob=0.5):
        if self.r.random() < prob:
            obj[key] = f()

    def head(self, p, d):
        kind = self.r.choice(["softmax", "hard", "saturated", "uniform"])
        dh = self.r.randint(1, 2)
        h = {"kind": kind}
        self.maybe(h, "causal", lambda: self.r.random() < 0.5)
        h["d_head"] = dh
        names = ["v"] if kind == "uniform" else ["q", "k", "v"]
        for x in names:
            h["w" + x] = self.mat(dh, d)
            self.maybe(h, "b" + x, lambda: self.vec(dh, self.bias), 0.3)
            self.maybe(h, x + "_shift", self.shift)
        if kind != "uniform":
            self.maybe(h, "score_shift", self.shift)
        if kind == "softmax":
            h["exp"] = self.table(p, 0, MAX_EXP if self.r.random() < 0.3 else 8)
        return h

    def layer(self, p, d):
        layer = {}
        what = self.r.choice(["attn", "ffn", "both"])
        if what in ("attn", "both"):
            heads = [self.head(p, d) for _ in range(self.r.randint(1, 2 if p > 8 else 3))]
            width = sum(h["d_head"] for h in heads)
            a = {"heads": heads, "wo": self.mat(d, width)}
            self.maybe(a, "bo", lambda: self.vec(d, self.bias), 0.3)
            self.maybe(a, "shift", self.shift)
            self.maybe(a, "residual", lambda: self.r.random() < 0.5)
            layer["attn"] = a
        if what in ("ffn", "both"):
            dff = self.r.randint(1, 3)
            f = {"d_ff": dff, "w1": self.mat(dff, d)}
            self.maybe(f, "b1", lambda: self.vec(dff, self.bias), 0.3)
            self.maybe(f, "shift1", self.shift)
            r = self.r.random()
            f["act"] = "relu" if r < 0.35 else "identity" if r < 0.5 else self.table(p, pmin(p), pmax(p))
            f["w2"] = self.mat(d, dff)
            self.maybe(f, "b2", lambda: self.vec(d, self.bias), 0.3)
            self.maybe(f, "shift2", self.shift)
            self.maybe(f, "residual", lambda: self.r.random() < 0.5)
            layer["ffn"] = f
        return layer

    def model(self, name):
        r = self.r
        self.extreme = 0.1 if r.random() < 0.2 else 0.0
        p = r.choice([2, 2, 3, 3, 4, 5, 6, 8, 10, 12, 14, 16])
        nv = r.choice([1, 2, 2, 3, 3, 4])
        vocab = r.sample(SYMBOLS, nv)
        bos = r.random() < 0.6 or nv == 1 and r.random() < 0.5
        d = r.randint(1, 3)
        max_len = r.randint(1, 6)
        m = {"format": "tc0c-model/1", "name": name}
        self.maybe(m, "description", lambda: "random model " + name, 0.3)
        m["vocab"] = vocab
        if bos:
            m["bos"] = r.choice(BOS_SYMBOLS)
        m.update({"max_len": max_len, "p": p, "d_model": d})
        self.maybe(m, "scales", lambda: {"x": r.randint(-64, 64), "y": 0}, 0.1)
        emb = {"token": [self.vec(d, lambda: self.value(p)) for _ in range(nv + bos)]}
        self.maybe(emb, "position", lambda: [self.vec(d, lambda: self.value(p)) for _ in range(max_len + bos)])
        m["embed"] = emb
        m["layers"] = [self.layer(p, d) for _ in range(r.choice([0, 1, 1, 2, 2, 3]))]
        if r.random() < 0.6:
            out = {"kind": "accept"}
            self.maybe(out, "position", lambda: r.choice(["first", "last"]))
            out["w"] = self.vec(d, lambda: self.r.choice([-2, -1, 1, 2]) if self.r.random() < 0.8 else self.weight())
            self.maybe(out, "b", lambda: self.r.randint(-2, 2) if self.r.random() < 0.8 else self.bias())
        else:
            nl = r.randint(2, 4)
            out = {"kind": "label", "labels": r.sample(["no", "yes", "A", "B", "c1", "c2"], nl),
                   "w": self.mat(nl, d)}
            self.maybe(out, "b", lambda: self.vec(nl, self.bias))
        m["output"] = out
        return m


def sh(cmd, timeout=120):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", f"timed out after {timeout}s"


def crashed(rc, err):
    return (rc == "timeout" or (isinstance(rc, int) and rc < 0) or "internal error" in err
            or "AddressSanitizer" in err or "runtime error:" in err)


def decode(bits, m, n):
    """OUTBITS of a vectors line -> what `run` prints (docs/cli.md)."""
    if m["output"]["kind"] == "accept":
        return "accept" if bits[-1] == "1" else "reject"
    lb = len(bits) // n
    labels = m["output"]["labels"]
    return " ".join(labels[int(bits[len(bits) - (i + 1) * lb:len(bits) - i * lb], 2)] for i in range(n))


def check_model(args, i, tmp, stats):
    seed = args.seed * 1000003 + i
    m = Gen(random.Random(seed)).model(f"dt{i}")
    path = os.path.join(tmp, f"dt{i}.json")
    with open(path, "w") as f:
        json.dump(m, f)
    T = args.tc0c
    fails = []

    def fail(what):
        fails.append(what)

    rc, out, err = sh([T, "check", path])
    if rc != 0:
        return [f"check: exit {rc}: {err.strip()[:300]}"], m
    nv = len(m["vocab"])
    n = 1
    while n < m["max_len"] and nv ** (n + 1) <= 4096:
        n += 1
    rc, out, err = sh([T, "verify", path, "-n", str(n), "--quiet", "--max-gates", str(args.max_gates)],
                      timeout=args.timeout)
    if crashed(rc, err) or rc not in (0, 4):
        fail(f"verify -n {n}: exit {rc}: {(out + err).strip()[:400]}")
    if rc == 4:
        stats["refused"] += 1
        return fails, m
    g = 0
    if rc == 0:
        stats["verified"] += 1
        stats["strings"] += int(out.split(" on ")[1].split()[0]) if " on " in out else 0
        g = int(out.split("strings (")[1].split()[0]) if "strings (" in out else 0
        stats["max_gates_seen"] = max(stats["max_gates_seen"], g)
        stats["gates"] += g
        stats["nonconst"] += g > 0
    vec = os.path.join(tmp, f"dt{i}.vec")
    rc, out, err = sh([T, "vectors", path, "-n", str(n), "--exhaustive", "--max-gates", str(args.max_gates),
                       "-o", vec], timeout=args.timeout)
    if rc != 0:
        fail(f"vectors -n {n}: exit {rc}: {err.strip()[:300]}")
        return fails, m
    lines = [ln.split() for ln in open(vec) if not ln.startswith("#")]
    if len(lines) != nv ** n:
        fail(f"vectors: {len(lines)} lines, expected {nv ** n}")
    rng = random.Random(seed)
    for parts in rng.sample(lines, min(args.runs, len(lines))):
        _, bits, s = parts
        rc, out, err = sh([T, "run", path, "--", s])
        stats["runs"] += 1
        want = decode(bits, m, n)
        if rc != 0 or out != want + "\n":
            fail(f"run {s!r}: exit {rc}, printed {out!r}, vectors say {want!r}")
    if "bos" in m:
        rc, out, err = sh([T, "run", path, ""])
        stats["runs"] += 1
        if rc != 0 or (m["output"]["kind"] == "label" and out != "\n"):
            fail(f"run '': exit {rc}, printed {out!r}: {err.strip()[:200]}")
    sample = args.sim_every and stats["compiled"] % args.sim_every == 0 and not fails
    if sample and g > args.sim_max_gates:
        stats["sims_skipped_big"] += 1  # simulator builds of big netlists take minutes
    elif sample:
        k = stats["compiled"] // args.sim_every
        gates = ["thr", "maj", "cells"][k % 3]
        pipe = str(k % 3 if k % 2 else (k // 2) % 3)
        for sim in ("verilator", "icarus"):
            rc, out, err = sh(["sim/sim.sh", path, str(n), pipe, sim, gates], timeout=args.timeout)
            stats["sims"] += 1
            if rc != 0 and "--gates maj" in err and "majority" in err:
                stats["sims_maj_refused"] += 1  # a weight too wide for majority gates: exit 2, said
                continue
            if rc != 0:
                fail(f"sim {sim} gates={gates} pipeline={pipe} n={n}: exit {rc}: {(out + err).strip()[-400:]}")
        shutil.rmtree(f"build/sim/dt{i}_n{n}_{gates}_k{pipe}", ignore_errors=True)
    stats["compiled"] += 1
    return fails, m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", type=int, help="check only model number ONLY")
    ap.add_argument("--start", type=int, default=0, help="first model number (split a campaign)")
    ap.add_argument("--tc0c", default="build/tc0c")
    ap.add_argument("--max-gates", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=4, help="run calls per model")
    ap.add_argument("--sim-every", type=int, default=25, help="simulate every K-th compiled model (0: never)")
    ap.add_argument("--sim-max-gates", type=int, default=3000, help="simulate only circuits up to this size")
    ap.add_argument("--time-limit", type=float, default=0, help="stop after this many seconds")
    ap.add_argument("--timeout", type=int, default=300, help="per command")
    ap.add_argument("--keep", default="build/difftest/failed")
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    stats = dict(verified=0, refused=0, strings=0, runs=0, compiled=0, sims=0, sims_maj_refused=0, gates=0,
                 sims_skipped_big=0, max_gates_seen=0,
                 nonconst=0)
    passed = failed = 0
    t0 = time.time()
    ids = [args.only] if args.only is not None else range(args.start, args.start + args.models)
    with tempfile.TemporaryDirectory() as tmp:
        for i in ids:
            if args.time_limit and time.time() - t0 > args.time_limit:
                print(f"difftest: time limit reached after {passed + failed} models")
                break
            fails, m = check_model(args, i, tmp, stats)
            if fails:
                failed += 1
                os.makedirs(args.keep, exist_ok=True)
                kept = os.path.join(args.keep, f"seed{args.seed}_model{i}.json")
                shutil.copy(os.path.join(tmp, f"dt{i}.json"), kept)
                for f in fails:
                    print(f"FAIL model {i} ({kept}): {f}")
            else:
                passed += 1
            if (passed + failed) % 100 == 0:
                print(f"difftest: {passed + failed} models, {time.time() - t0:.0f}s", flush=True)
    print(f"difftest: seed {args.seed}: {passed + failed} models, {stats['verified']} verified "
          f"({stats['strings']} strings, circuit = reference; {stats['nonconst']} with gates, {stats['gates']} gates "
          f"in all), {stats['refused']} refused by the size guard, "
          f"{stats['runs']} run calls against vectors, {stats['sims']} simulator runs "
          f"({stats['sims_maj_refused']} refused by --gates maj; {stats['sims_skipped_big']} over {args.sim_max_gates} gates not simulated), "
          f"largest circuit {stats['max_gates_seen']} gates, {time.time() - t0:.0f}s")
    print(f"difftest: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
