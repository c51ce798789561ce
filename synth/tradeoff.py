#!/usr/bin/python3
"""The parallelism trade-off as a curve: threshold depth against size for
each depth budget the compiler can meet, with the LUT4 figures of the
same netlists and the arithmetic RTL beside them.

usage: synth/tradeoff.py [--configs MODEL:N,...] [--tc0c BIN]
                         [--timeout S] [--max-points K]
                         [--md docs/tradeoff.md] [--png docs/tradeoff.png]
                         [--no-ref] [--no-cache]

For each configuration (model and n) the sweep compiles the model with
`--objective depth` (the minimum depth, the default) and `--objective
size` (the fewest wires whatever the depth), then with `--max-depth D`
for every D between the two depths (at most --max-points budgets, evenly
spread, both ends kept), and with `--target lut4` (the variant whose
estimated LUT4 depth is smallest).  Each compiled netlist goes through the lut4
flow of synth/report.py (cached in build/report/cache by Verilog text, so
a re-run only synthesizes what changed); the arithmetic reference RTL
(`tc0c compile --emit-ref`) is synthesized once per configuration.  It
writes build/tradeoff/tradeoff.json, the table between the markers
<!-- tradeoff-table:begin --> and <!-- tradeoff-table:end --> of the
Markdown file (the reading around it is left alone) and the plot.
Budgets whose circuits are identical are one row (their budgets listed).
Plot: python3-matplotlib (Debian); without it the table is still written.
"""
import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402

ROOT = report.ROOT
BEGIN, END = "<!-- tradeoff-table:begin -->", "<!-- tradeoff-table:end -->"
DEFAULT_CONFIGS = "dyck1:16,dyck1:32,anbn:16,anbn:32,parity:16,parity:32,typical/a:8"


def model_path(name):
    return ROOT / "models" / f"{name}.json"


def cpu(res):
    """(CPU s the flow took when it ran, CPU s this run spent: 0 when cached)"""
    t = (res or {}).get("cpu_s") or 0
    return t, 0 if (res or {}).get("cached") else t


def lut4(res):
    """(LUT4s, LUT4 depth, status text) of a lut4 flow result"""
    if res is None:
        return None, None, "not run"
    if res.get("status") == "ok":
        return res.get("luts"), res.get("depth"), "ok"
    return None, None, "skipped (size)" if res.get("status") == "skipped" else res.get("status", "?")


def verify(cfg, n, args, tc0c):
    """`tc0c verify` of the same point: all strings when at most 1,000, else 1,000 random"""
    cmd = [tc0c, "verify", str(model_path(cfg)), "-n", str(n), "--random", "1000", "--quiet"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {(p.stdout + p.stderr).strip()[-300:]}")
    m = re.search(r"on (\d+) (\(all\) |random )?strings", p.stdout + p.stderr)
    return f"{int(m.group(1)):,}" + (" (all)" if m and m.group(2) == "(all) " else " random") if m else "yes"


def point(cfg, n, args, tc0c, timeout, want_ref, use_cache, tag):
    """one compiled netlist (and, with want_ref, the RTL): a row dict"""
    rep = report.make_report(model_path(cfg), n, tc0c, ROOT / "build" / "report", ["lut4"], timeout, None,
                             report.DEFAULT_MEM_GIB, want_ref, use_cache, True, compile_args=args, tag=tag)
    c = rep["compiler"]
    luts, ldepth, status = lut4(rep["thr"]["flows"].get("lut4"))
    row = {"model": cfg, "n": n, "args": list(args), "depth": c["depth"], "gates": c["gates"],
           "wires": c.get("wires"), "edges": c.get("edges"), "lut4": luts, "lut4_depth": ldepth,
           "lut4_status": status, "cpu_s": cpu(rep["thr"]["flows"].get("lut4")),
           "variant": c.get("variant"), "verified": verify(cfg, n, args, tc0c)}
    ref = None
    if want_ref and "ratios" in rep:
        rl, rd, rs = lut4(rep["ref"]["flows"].get("lut4"))
        ref = {"lut4": rl, "lut4_depth": rd, "lut4_status": rs,
               "cpu_s": cpu(rep["ref"]["flows"].get("lut4"))}
    return row, ref


def budgets(dmin, dmax, k):
    if dmax <= dmin:
        return [dmin]
    span = list(range(dmin, dmax + 1))
    if len(span) <= k:
        return span
    pick = {span[round(i * (len(span) - 1) / (k - 1))] for i in range(k)}
    return sorted(pick)


def sweep_config(cfg, n, tc0c, timeout, max_points, want_ref, use_cache):
    t0 = time.monotonic()
    first, ref = point(cfg, n, ["--objective", "depth"], tc0c, timeout, want_ref, use_cache, "_tdepth")
    last, _ = point(cfg, n, ["--objective", "size"], tc0c, timeout, False, use_cache, "_tsize")
    rows = [first]
    for d in budgets(first["depth"], last["depth"], max_points)[1:-1]:
        r, _ = point(cfg, n, ["--max-depth", str(d)], tc0c, timeout, False, use_cache, f"_t{d}")
        rows.append(r)
    if last["depth"] != first["depth"]:
        rows.append(last)
    lut, _ = point(cfg, n, ["--target", "lut4"], tc0c, timeout, False, use_cache, "_tlut4")
    rows.append(lut)
    merged = []
    for r in rows:  # equal circuits: one row, all budgets named
        key = (r["depth"], r["gates"], r["wires"], r["edges"])
        same = [q for q in merged if (q["depth"], q["gates"], q["wires"], q["edges"]) == key]
        if same:
            same[0]["args_also"] = same[0].get("args_also", []) + [r["args"]]
            continue
        merged.append(r)
    print(f"tradeoff: {cfg} n={n}: {len(merged)} distinct points in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return {"model": cfg, "n": n, "points": merged, "ref": ref}


def budget_text(r):
    names = []
    for a in [r["args"]] + r.get("args_also", []):
        if a[0] == "--objective":
            names.append({"depth": "min", "size": "size"}[a[1]])
        elif a[0] == "--target":
            names.append(f"**--target {a[1]}**")
        else:
            names.append(f"≤ {a[1]}")
    return ", ".join(dict.fromkeys(names))


def fmt(v):
    return "-" if v is None else f"{v:,}"


def table(results):
    L = ["| model | n | budget | variant | threshold depth | gates | wires | edges | LUT4 | LUT4 depth "
         "| LUT4 ratio / RTL | depth ratio / RTL | verified strings |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        ref = res["ref"] or {}
        for r in res["points"]:
            lr = dr = "-"
            if r["lut4"] and ref.get("lut4"):
                lr = f"{r['lut4'] / ref['lut4']:.2f}"
            if r["lut4_depth"] and ref.get("lut4_depth"):
                dr = f"{r['lut4_depth'] / ref['lut4_depth']:.2f}"
            L.append(f"| {res['model']} | {res['n']} | {budget_text(r)} | {r.get('variant') or '-'} | {r['depth']} | "
                     f"{fmt(r['gates'])} | {fmt(r['wires'])} | {fmt(r['edges'])} | "
                     f"{fmt(r['lut4']) if r['lut4_status'] == 'ok' else r['lut4_status']} | "
                     f"{fmt(r['lut4_depth'])} | {lr} | {dr} | {r.get('verified', '-')} |")
        if res["ref"]:
            L.append(f"| {res['model']} | {res['n']} | arithmetic RTL | - | - | - | - | - | "
                     f"{fmt(ref.get('lut4')) if ref.get('lut4_status') == 'ok' else ref.get('lut4_status')} | "
                     f"{fmt(ref.get('lut4_depth'))} | " + ("1.00 | 1.00 |" if ref.get("lut4") else "- | - |") + " - |")
    return "\n".join(L)


def monotone(results):
    """a larger budget must never give more wires (the threshold budgets,
    not the LUT target's choice): the list of violations"""
    bad = []
    for res in results:
        pts = sorted((r for r in res["points"] if r["args"][0] != "--target"), key=lambda r: r["depth"])
        for a, b in zip(pts, pts[1:]):
            if b["wires"] > a["wires"]:
                bad.append(f"{res['model']} n={res['n']}: depth {b['depth']} has {b['wires']} wires "
                           f"> {a['wires']} at depth {a['depth']}")
    return bad


def plot(results, png):
    plt = report.pyplot("tradeoff")
    if plt is None:
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, res in enumerate(results):
        c = colors[i % len(colors)]
        lab = f"{res['model']} n={res['n']}"
        pts = sorted(res["points"], key=lambda r: r["depth"])
        ax1.plot([r["depth"] for r in pts], [r["wires"] for r in pts], "-o", color=c, label=lab)
        lp = [r for r in pts if r["lut4"]]
        if lp:
            ax2.plot([r["lut4_depth"] for r in lp], [r["lut4"] for r in lp], "-o", color=c, label=lab)
        ref = res["ref"] or {}
        if ref.get("lut4"):
            ax2.plot([ref["lut4_depth"]], [ref["lut4"]], "*", color=c, markersize=14)
    ax1.set_xlabel("threshold depth (levels)")
    ax1.set_ylabel("wires (shared netlist)")
    ax1.set_title("Threshold circuit: depth budget against size")
    ax2.set_xlabel("LUT4 depth")
    ax2.set_ylabel("LUT4s")
    ax2.set_title("The same netlists after the lut4 flow (star: arithmetic RTL)")
    for ax in (ax1, ax2):
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return True


def write_outputs(results, md, png, cmd, cpu_s):
    out = ROOT / "build" / "tradeoff"
    out.mkdir(parents=True, exist_ok=True)
    (out / "tradeoff.json").write_text(json.dumps(results, indent=1) + "\n")
    t = table(results)
    block = (f"{BEGIN}\n<!-- generated by `{cmd}` (synth/tradeoff.py); {report.yosys_version()}; "
             f"{cpu_s[0]:.0f} CPU s of Yosys from scratch, {cpu_s[1]:.0f} s in this run (the rest cached) -->\n\n{t}\n\n{END}")
    report.write_marked(md, BEGIN, END, block,
                        f"# The depth/size trade-off\n\nRegenerate: `{cmd}`.\n\n{block}\n\n![trade-off](tradeoff.png)\n")
    plotted = plot(results, png)
    print(t)
    print(f"tradeoff: wrote {out / 'tradeoff.json'}, {md}" + (f", {png}" if plotted else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default=DEFAULT_CONFIGS, help="MODEL:N,... (MODEL under models/, no .json)")
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--timeout", type=int, default=report.DEFAULT_TIMEOUT, help="CPU s per Yosys run")
    ap.add_argument("--max-points", type=int, default=6, help="budgets per configuration, both ends included")
    ap.add_argument("--md", default=str(ROOT / "docs" / "tradeoff.md"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "tradeoff.png"))
    ap.add_argument("--no-ref", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    a = ap.parse_args()
    if a.max_points < 2:
        ap.error("--max-points must be at least 2")
    cfgs = []
    for item in a.configs.split(","):
        m, _, n = item.partition(":")
        if not n.isdigit() or not model_path(m).exists():
            ap.error(f"--configs: '{item}' is not MODEL:N with models/MODEL.json present")
        cfgs.append((m, int(n)))
    tc0c = str(Path(a.tc0c).resolve())
    results = []
    for m, n in cfgs:
        try:
            results.append(sweep_config(m, n, tc0c, a.timeout, a.max_points, not a.no_ref, not a.no_cache))
        except RuntimeError as e:
            print(f"tradeoff: {m} n={n}: {e}", file=sys.stderr)
            return 1
    runs = [r["cpu_s"] for res in results for r in res["points"]] + \
        [res["ref"]["cpu_s"] for res in results if res["ref"]]
    cpu_s = (sum(t for t, _ in runs), sum(f for _, f in runs))
    cmd = "make tradeoff" if a.configs == DEFAULT_CONFIGS else f"synth/tradeoff.py --configs {a.configs}"
    write_outputs(results, a.md, a.png, cmd, cpu_s)
    bad = monotone(results)
    for b in bad:
        print(f"tradeoff: not monotone: {b}", file=sys.stderr)
    print(f"tradeoff: Yosys CPU {cpu_s[0]:.0f} s from scratch, {cpu_s[1]:.0f} s in this run (the rest cached)",
          file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
