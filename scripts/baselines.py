#!/usr/bin/env python3
"""Size and depth regressions: compares the circuits tc0c builds today with
the committed baseline tests/baselines.json.

For every model in models/*.json and models/typical/*.json and every n in
NS, `tc0c compile` writes a stats.json; the figures FIGURES that it has are
compared with the baseline.  A check fails when the threshold depth grows
at all or a size figure grows by more than 5 %, and names the model, n and
figure.  A model the baseline has that no longer compiles fails too.
Shrinking is fine (the message suggests `make baselines`).

It also checks the size guard's estimate (compiler/estimate.c): for every
model and n, the estimated wires (stats.json "estimate_wires") must lie
within ESTIMATE_FACTOR of the built wires, both ways (docs/lowering.md,
"The size guard").  A model whose max_len is below n is skipped, with a note.

usage: scripts/baselines.py --check [--tc0c BIN] [--baseline FILE]
       scripts/baselines.py --write [--tc0c BIN] [--baseline FILE]   (make baselines)

--write rewrites the baseline after a deliberate change; the commit that
changes tests/baselines.json says why.  Prints "baselines: N passed, N failed".
"""
import argparse
import glob
import json
import os
import sys
import tempfile

from tc0c_stats import compile_stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = (8, 16)
SIZE_FIGURES = ("gates", "wires", "edges")  # may grow by at most SLACK
DEPTH_FIGURES = ("depth",)                    # may not grow at all
SLACK = 0.05
ESTIMATE_FACTOR = 10.0                        # estimate_wires / wires within [1/F, F]


def models():
    pats = ("models/*.json", "models/typical/*.json")
    return sorted(os.path.relpath(p, ROOT) for pat in pats for p in glob.glob(os.path.join(ROOT, pat)))


def max_len(model):
    with open(os.path.join(ROOT, model)) as f:
        return json.load(f).get("max_len", 0)


def measure(tc0c, model, n, tmp):
    """The figures of one compiled circuit and its estimate/built wires
    ratio, or None (and None) with the reason."""
    rc, err, st = compile_stats(tc0c, model, n, tmp)
    if st is None:
        return None, None, f"exit {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}"
    ratio = st["estimate_wires"] / max(st["wires"], 1) if "estimate_wires" in st and "wires" in st else None
    return {k: st[k] for k in SIZE_FIGURES + DEPTH_FIGURES if k in st}, ratio, None


def collect(tc0c):
    """(figures by "model n=N", estimate/built wires ratios by the same key)"""
    out, ratios = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in models():
            for n in NS:
                if max_len(m) < n:
                    print(f"note: {m} n={n} skipped: max_len {max_len(m)} < {n}", file=sys.stderr)
                    continue
                figs, ratio, why = measure(tc0c, m, n, tmp)
                out[f"{m} n={n}"] = figs if figs is not None else {"error": why}
                if ratio is not None:
                    ratios[f"{m} n={n}"] = ratio
                print(f"  {m} n={n}: {figs if figs is not None else why}"
                      f"{'' if ratio is None else f', estimate/built wires {ratio:.2f}'}", file=sys.stderr)
    return out, ratios


def check_estimates(now, ratios):
    """The guard's estimate within ESTIMATE_FACTOR of the built wires."""
    passed, failed = 0, []
    for key in sorted(now):
        if "error" in now[key]:
            continue
        r = ratios.get(key)
        if r is None:
            failed.append(f"{key}: stats.json lacks estimate_wires or wires")
        elif not 1 / ESTIMATE_FACTOR <= r <= ESTIMATE_FACTOR:
            failed.append(f"{key}: the estimate is {r:.2f}x the built wires (at most {ESTIMATE_FACTOR:g}x either "
                          f"way; compiler/estimate.c, TC0C_ESTIMATE_TRACE=1 shows its parts)")
        else:
            passed += 1
    return passed, failed


def compare(base, now):
    passed, failed = 0, []
    for key, b in sorted(base.items()):
        cur = now.get(key)
        if cur is None:
            failed.append(f"{key}: in the baseline but not measured")
            continue
        if "error" in cur and "error" not in b:
            failed.append(f"{key}: no longer compiles ({cur['error']})")
            continue
        for fig in DEPTH_FIGURES + SIZE_FIGURES:
            if fig not in b or "error" in b:
                continue
            if fig not in cur:
                failed.append(f"{key}: figure '{fig}' is missing from stats.json")
            elif fig in DEPTH_FIGURES and cur[fig] > b[fig]:
                failed.append(f"{key}: {fig} grew from {b[fig]} to {cur[fig]}")
            elif fig in SIZE_FIGURES and cur[fig] > b[fig] * (1 + SLACK):
                failed.append(f"{key}: {fig} grew by {100.0 * (cur[fig] - b[fig]) / b[fig]:.1f}% "
                              f"({b[fig]} -> {cur[fig]}; at most {100 * SLACK:.0f}%)")
            else:
                passed += 1
    for key in sorted(set(now) - set(base)):
        print(f"note: {key} is not in the baseline (run `make baselines`)", file=sys.stderr)
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true", help="compare with the baseline (make test)")
    g.add_argument("--write", action="store_true", help="rewrite the baseline (make baselines)")
    ap.add_argument("--tc0c", default=os.path.join(ROOT, "build", "tc0c"))
    ap.add_argument("--baseline", default=os.path.join(ROOT, "tests", "baselines.json"))
    a = ap.parse_args()
    tc0c = os.path.abspath(a.tc0c)
    now, ratios = collect(tc0c)
    if a.write:
        with open(a.baseline, "w") as f:
            json.dump(now, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"baselines: wrote {len(now)} entries to {os.path.relpath(a.baseline, ROOT)}")
        return 0
    with open(a.baseline) as f:
        base = json.load(f)
    passed, failed = compare(base, now)
    ep, ef = check_estimates(now, ratios)
    passed, failed = passed + ep, failed + ef
    for msg in failed:
        print(f"FAIL: {msg}")
    if any("grew" in m for m in failed):
        print("(a deliberate change? `make baselines` rewrites tests/baselines.json; say why in the commit)")
    print(f"baselines: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
