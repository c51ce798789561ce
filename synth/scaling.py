#!/usr/bin/python3
"""Scaling study: gates, threshold depth, LUT4 count and LUT4 depth against
n, for the threshold netlist and the arithmetic reference RTL.

usage: synth/scaling.py [--models M,...] [--ns 4,8,...] [--tc0c BIN]
                          [--timeout S] [--md docs/scaling.md]
                          [--png docs/scaling.png] [--no-ref]

Runs synth/report.py's gate and lut4 flows (cached in build/report/cache)
for every model and n, writes build/scaling/scaling.json, the plot, and
the table into the Markdown file between the markers
<!-- scaling-table:begin --> and <!-- scaling-table:end --> (the rest of
the file, the reading of the results, is left as it is).  A flow skipped
for size or timed out is shown as such; where at least two smaller n
were measured, an estimate from a power-law fit of LUTs against edges
(threshold netlist) or against n (reference RTL) is shown beside it,
marked "est.".  Plot: python3-matplotlib (Debian); without it the table
is still written.
"""
import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402

ROOT = report.ROOT
BEGIN, END = "<!-- scaling-table:begin -->", "<!-- scaling-table:end -->"


def measure(models, ns, tc0c, timeout, want_ref, quiet):
    rows = []
    for m in models:
        for n in ns:
            try:
                rep = report.make_report(ROOT / "models" / f"{m}.json", n, tc0c, ROOT / "build" / "report",
                                         ["gate", "lut4"], timeout, None, report.DEFAULT_MEM_GIB, want_ref,
                                         True, quiet)
            except RuntimeError as e:
                print(f"scaling: {m} n={n}: {e}", file=sys.stderr)
                continue
            c = rep["compiler"]
            row = {"model": m, "n": n, "gates": c["gates"], "edges": c["edges"], "depth": c["depth"],
                   "ltp_depth": rep["gate"].get("depth"), "gate_status": rep["gate"]["status"],
                   "thr": rep["thr"]["flows"]["lut4"]}
            if "ratios" in rep:
                row["ref"] = rep["ref"]["flows"]["lut4"]
            rows.append(row)
    return rows


def estimate(rows, model, kind, n):
    """power-law fit through the two largest measured points below n"""
    pts = [r for r in rows if r["model"] == model and r["n"] < n and r.get(kind, {}).get("status") == "ok"]
    if len(pts) < 2:
        return None
    a, b = pts[-2], pts[-1]
    x = "edges" if kind == "thr" else "n"
    cur = next(r for r in rows if r["model"] == model and r["n"] == n)
    if a[x] == b[x] or a[kind]["luts"] <= 0:
        return None
    alpha = math.log(b[kind]["luts"] / a[kind]["luts"]) / math.log(b[x] / a[x])
    return int(round(b[kind]["luts"] * (cur[x] / b[x]) ** alpha)), f"{x}^{alpha:.2f} from n={a['n']},{b['n']}"


def cell(rows, r, kind, key):
    res = r.get(kind)
    if res is None:
        return "n/a"
    if res.get("status") == "ok":
        return f"{res[key]:,}"
    why = "skipped (size)" if res["status"] == "skipped" else res["status"]
    if key == "luts":
        e = estimate(rows, r["model"], kind, r["n"])
        if e:
            return f"{why}; ≈{e[0]:,} est."
    return why


def ratio(r, key):
    a, b = r.get("thr", {}), r.get("ref", {})
    if a.get("status") == "ok" and b.get("status") == "ok" and b.get(key):
        return f"{a[key] / b[key]:.2f}"
    return "-"


def table(rows, have_ref):
    h = "| model | n | gates | edges | threshold depth (tc0c / Yosys ltp) | thr LUT4 | thr LUT4 depth |"
    s = "|---|---|---|---|---|---|---|"
    if have_ref:
        h += " ref LUT4 | ref LUT4 depth | LUT ratio thr/ref | depth ratio thr/ref |"
        s += "---|---|---|---|"
    h += " CPU s (thr / ref) |"
    s += "---|"
    L = [h, s]
    for r in rows:
        d = f"{r['depth']} / {r['ltp_depth'] if r['ltp_depth'] is not None else r['gate_status']}"
        cols = [r["model"], str(r["n"]), f"{r['gates']:,}", f"{r['edges']:,}", d,
                cell(rows, r, "thr", "luts"), cell(rows, r, "thr", "depth")]
        if have_ref:
            cols += [cell(rows, r, "ref", "luts"), cell(rows, r, "ref", "depth"), ratio(r, "luts"), ratio(r, "depth")]
        cpu = [str(r[k].get("cpu_s", "-")) if r.get(k) and r[k].get("status") != "skipped" else "-"
               for k in ("thr", "ref") if k == "thr" or have_ref]
        cols.append(" / ".join(cpu))
        L.append("| " + " | ".join(cols) + " |")
    return "\n".join(L)


def plot(rows, png, have_ref):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("scaling: python3-matplotlib missing (make deps); no plot", file=sys.stderr)
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 6.2))
    models = list(dict.fromkeys(r["model"] for r in rows))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def series(m, f):
        xs, ys = [], []
        for r in rows:
            if r["model"] == m:
                v = f(r)
                if v:
                    xs.append(r["n"])
                    ys.append(v)
        return xs, ys

    ok = lambda r, k, key: r[k][key] if r.get(k) and r[k].get("status") == "ok" else None  # noqa: E731
    for i, m in enumerate(models):
        c = colors[i % len(colors)]
        ax1.plot(*series(m, lambda r: r["depth"]), "-o", color=c, label=f"{m}: threshold depth / gates")
        ax1.plot(*series(m, lambda r: ok(r, "thr", "depth")), "--s", color=c,
                 label=f"{m}: LUT4 depth / LUT4s, threshold netlist")
        ax2.plot(*series(m, lambda r: r["gates"]), "-o", color=c)
        ax2.plot(*series(m, lambda r: ok(r, "thr", "luts")), "--s", color=c)
        if have_ref:
            ax1.plot(*series(m, lambda r: ok(r, "ref", "depth")), ":^", color=c,
                     label=f"{m}: LUT4 depth / LUT4s, arithmetic RTL")
            ax2.plot(*series(m, lambda r: ok(r, "ref", "luts")), ":^", color=c)
    for ax, t in ((ax1, "depth (levels)"), (ax2, "size (gates or LUT4s)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (tokens)")
        ax.set_ylabel(t)
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_title("Depth against n")
    ax2.set_title("Size against n")
    fig.legend(*ax1.get_legend_handles_labels(), loc="lower center", ncol=len(models), fontsize=8, frameon=False)
    fig.suptitle("tc0c: threshold netlist vs arithmetic RTL (Yosys 0.23, ABC LUT4)" if have_ref else
                 "tc0c: threshold netlist (Yosys 0.23, ABC LUT4)")
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    fig.savefig(png, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="dyck1,anbn,parity")
    ap.add_argument("--ns", default="4,8,16,32,64")
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--timeout", type=int, default=report.DEFAULT_TIMEOUT)
    ap.add_argument("--md", default=str(ROOT / "docs" / "scaling.md"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "scaling.png"))
    ap.add_argument("--no-ref", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    models = [m for m in a.models.split(",") if m]
    ns = [int(x) for x in a.ns.split(",") if x]
    rows = measure(models, ns, a.tc0c, a.timeout, not a.no_ref, a.quiet)
    have_ref = any("ref" in r for r in rows)
    out = ROOT / "build" / "scaling"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
    t = table(rows, have_ref)
    cmd = "make scaling" if (a.models, a.ns) == ("dyck1,anbn,parity", "4,8,16,32,64") else \
        f"synth/scaling.py --models {a.models} --ns {a.ns}"
    block = (f"{BEGIN}\n<!-- generated by `{cmd}` (synth/scaling.py); {report.yosys_version()}; "
             f"CPU limit {a.timeout} s per Yosys run and the size limits of synth/report.py -->\n\n{t}\n\n{END}")
    md = Path(a.md)
    if md.exists() and BEGIN in md.read_text():
        text = md.read_text()
        pre, _, rest = text.partition(BEGIN)
        _, _, post = rest.partition(END)
        md.write_text(pre + block + post)
    else:
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(f"# Scaling study\n\nRegenerate: `{cmd}`.\n\n{block}\n\n![scaling](scaling.png)\n")
    plotted = plot(rows, a.png, have_ref)
    print(t)
    print(f"scaling: wrote {out / 'scaling.json'}, {md}" + (f", {a.png}" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
