#!/usr/bin/env python3
"""Softmax attention on a LUT4 fabric, measured: the lut4 flow of
docs/reports.md (Yosys + ABC, 4-input LUTs) on small softmax models, side
by side: the constant-depth threshold netlist (`--variant
threshold`), the LUT choice of the compiler (`--target lut4 --objective
size`: restoring division and plain ANDs, docs/lowering.md "Restoring
division"), and the arithmetic RTL of the same model (`--emit-ref`).

typical model (a) itself is out of reach of the flow (docs/tradeoff.md), so
this is the measured check of what the LUT estimate claims for the softmax
division.  The models are generated here with scripts/gen_typical.py's
`model` (seed 7: p bits, d_model 2, one softmax head d_head 2, no FFN, a
vocabulary of V letters, unless --d-model, --heads, --d-ff or --layers
say otherwise) into build/bench/softmax_lut/.  With the typical
models' 4 letters a string of n tokens is 2n to 3n input bits, and ABC
folds a cone of at most 4 inputs into one LUT whatever it computes (at
n = 2 every netlist, the RTL included, maps to a single LUT4), so the
default vocabulary has 16 letters: 5 bits per token.  Yosys runs are cached by netlist text
(build/report/cache), like make tradeoff.  Prints one row per netlist:
gates, threshold depth, LUT4s, LUT4 depth, the ratios to the RTL, Yosys CPU
seconds and peak memory (MiB), and the compiler's own time and peak memory.

usage: python3 bench/bench_softmax_lut.py [--ps 4,5,6] [--ns 2,3] [--vocab V] [--d-ff F] [--layers L]
       [--d-model D] [--heads H]
       [--points threshold,lut4 size] [--timeout S] [--mem-gib G]
(--d-ff F: the model also has an FFN of width F with the GELU table, so the
tables and the requantizations of a typical model are measured too)
"""
import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "synth"))
sys.path.insert(0, str(ROOT / "scripts"))
import gen_typical  # noqa: E402
import report  # noqa: E402
from tradeoff import lut4  # noqa: E402  (LUT4s, LUT4 depth, status) of a lut4 result

POINTS = [("threshold", ["--variant", "threshold"]),
          ("lut4 size", ["--target", "lut4", "--objective", "size"])]


def write_model(p, vocab, out, d_ff=0, layers=1, d_model=2, heads=1):
    """the softmax model: d_model 2 and one head d_head 2 unless told;
    d_ff > 0 adds an FFN of that width with the GELU table (the typical
    models' activation); layers > 1 stacks that many such layers; heads
    softmax heads of d_head = d_model / heads each (typical (a) is d_model
    8, 2 heads, d_ff 32, 2 layers)"""
    gen_typical.VOCAB = [chr(ord("a") + i) for i in range(vocab)]
    tag = (f"softmax_p{p}_v{vocab}" + (f"_d{d_model}" if d_model != 2 else "") + (f"_h{heads}" if heads > 1 else "")
           + (f"_f{d_ff}" if d_ff else "") + (f"_l{layers}" if layers > 1 else ""))
    ffn = f", an FFN d_ff {d_ff} with the GELU table" if d_ff else ""
    what = "one softmax head" if heads == 1 else f"{heads} softmax heads"
    if layers > 1:
        what = f"{layers} layers of {what}"
    d_head = d_model // heads
    m = gen_typical.model(tag, 7, p, d_model, layers, ["softmax"] * heads, d_head, d_ff, "gelu" if d_ff else None,
                          what=f"p {p}, d_model {d_model}, {what} d_head {d_head}{ffn}, {vocab} letters "
                               "(bench/bench_softmax_lut.py)")
    path = out / f"{tag}.json"
    path.write_text(gen_typical.dump(m))
    return path


def compiler_run(tc0c, model, n, args):
    """wall seconds and peak RSS (MiB) of `tc0c stats` with these options
    (the build that the compile the flow reads also does)"""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", tc0c, "stats", str(model), "-n", str(n), "--quiet"] + args,
                       capture_output=True, text=True, check=True)
    secs, kib = p.stderr.strip().splitlines()[-1].split()
    return float(secs), int(kib) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ps", default="4,5,6", help="precisions p (comma list)")
    ap.add_argument("--ns", default="2,3", help="input lengths n (comma list)")
    ap.add_argument("--vocab", type=int, default=16, help="letters in the vocabulary (2..26)")
    ap.add_argument("--d-ff", type=int, default=0, help="add an FFN of this width with the GELU table (0: none)")
    ap.add_argument("--layers", type=int, default=1, help="layers (each the softmax heads and the FFN)")
    ap.add_argument("--d-model", type=int, default=2, help="model width")
    ap.add_argument("--heads", type=int, default=1, help="softmax heads per layer (d_head = d_model / heads)")
    ap.add_argument("--timeout", type=int, default=600, help="CPU seconds per Yosys run")
    ap.add_argument("--mem-gib", type=float, default=report.DEFAULT_MEM_GIB,
                    help="address-space limit per Yosys run, GiB (a one-layer model of typical (a)'s width "
                         "at n = 3 needs more than the default)")
    ap.add_argument("--points", default="threshold,lut4 size",
                    help="netlists to measure besides the RTL (comma list of: threshold, lut4 size)")
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    a = ap.parse_args()
    if a.d_model < 1 or a.heads < 1 or a.d_model % a.heads:
        ap.error(f"--d-model {a.d_model} and --heads {a.heads}: both positive, d_model a multiple of heads")
    out = ROOT / "build" / "bench" / "softmax_lut"
    out.mkdir(parents=True, exist_ok=True)
    print("| p | n | netlist | variant | gates | threshold depth | LUT4 | LUT4 depth | LUT4 / RTL | depth / RTL "
          "| Yosys CPU s | Yosys peak MiB | tc0c s | tc0c peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in [int(x) for x in a.ps.split(",")]:
        model = write_model(p, a.vocab, out, a.d_ff, a.layers, a.d_model, a.heads)
        for n in [int(x) for x in a.ns.split(",")]:
            rows, ref = [], None
            for name, args in [pt for pt in POINTS if pt[0] in a.points.split(",")]:
                print(f"bench_softmax_lut: p={p} n={n} {name} ...", file=sys.stderr, flush=True)
                rep = report.make_report(model, n, a.tc0c, ROOT / "build" / "report", ["lut4"], a.timeout,
                                         {"lut4": None}, a.mem_gib, ref is None, True, True,
                                         compile_args=args, tag="_" + name.replace(" ", "_"))
                c = rep["compiler"]
                res = rep["thr"]["flows"].get("lut4")
                rows.append((name, c.get("variant"), c["gates"], c["depth"], res,
                             compiler_run(a.tc0c, model, n, args)))
                if ref is None and "ref" in rep:
                    ref = rep["ref"]["flows"].get("lut4")
            rl, rd, _ = lut4(ref)
            for name, variant, gates, depth, res, (secs, peak) in rows:
                l, d, st = lut4(res)
                ratio = f"{l / rl:.2f}" if l and rl else "-"
                dratio = f"{d / rd:.2f}" if d and rd else "-"
                print(f"| {p} | {n} | {name} | {variant} | {gates:,} | {depth} | {l if l else st} | {d or '-'} "
                      f"| {ratio} | {dratio} | {res.get('cpu_s', '-')} | {res.get('peak_mib', '-')} | {secs:.2f} | {peak:.0f} |")
            print(f"| {p} | {n} | arithmetic RTL | - | - | - | {rl if rl else lut4(ref)[2]} | {rd or '-'} | 1.00 "
                  f"| 1.00 | {(ref or {}).get('cpu_s', '-')} | {(ref or {}).get('peak_mib', '-')} | - | - |", flush=True)


if __name__ == "__main__":
    main()
