#!/usr/bin/python3
"""Scaling study: gates, threshold depth, LUT4 count and LUT4 depth against
n, for the threshold netlist and the arithmetic reference RTL.

usage: synth/scaling.py [--models M,...] [--ns 4,8,...] [--tc0c BIN]
                          [--timeout S] [--md docs/scaling.md]
                          [--png docs/scaling.png] [--no-ref]
                          [--runner local|slurm] [-j N]
       synth/scaling.py job MODEL N --result R.json      (one sweep job)
       synth/scaling.py collect --sweep DIR ...          (the collector)

A sweep (scripts/sweep.py, docs/cluster.md) in build/sweeps/scaling/:
one job per model and n runs synth/report.py's gate and lut4 flows
(cached in build/report/cache) on this machine or as a Slurm job array;
the collector writes build/scaling/scaling.json, the plot, and
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
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import report  # noqa: E402
import sweep  # noqa: E402

ROOT = report.ROOT
BEGIN, END = "<!-- scaling-table:begin -->", "<!-- scaling-table:end -->"


COST_KEYS = ("cpu_s", "wall_s", "peak_mib", "cached", "file")
SWEEP_DIR = ROOT / "build" / "sweeps" / "scaling"
JOB_TYPE = "scaling-report"
# sizing of one job (one model and n: gate flow, lut4 on both netlists) on
# a cluster, from the local runs (docs/cluster.md): the largest, anbn
# n=32, took about 150 CPU s and 0.9 GiB; the timeout bounds the rest
JOB_MEM_MIB = 2048


def split_costs(res):
    """a flow result -> (its measured figures, its cost: CPU s, wall s, peak MiB)"""
    if res is None:
        return None, None
    return ({k: v for k, v in res.items() if k not in COST_KEYS},
            {k: res[k] for k in COST_KEYS if k in res and k != "file"})


def measure_one(model, n, tc0c, timeout, want_ref, flows=("gate", "lut4"), out=None, use_cache=True):
    """One row of the study: (row, cost).  The row holds only what the
    synthesis measured (the same bytes whichever machine ran it); the cost,
    what it took (CPU s per Yosys run, from the cache when cached)."""
    path = Path(model) if model.endswith(".json") else ROOT / "models" / f"{model}.json"
    rep = report.make_report(path, n, tc0c, out or ROOT / "build" / "report", list(flows), timeout, None,
                             report.DEFAULT_MEM_GIB, want_ref, use_cache, False)
    c = rep["compiler"]
    g = rep.get("gate", {})
    row = {"model": model, "n": n, "gates": c["gates"], "edges": c["edges"], "depth": c["depth"],
           "ltp_depth": g.get("depth"), "gate_status": g.get("status", "not run")}
    cost = {"elapsed_s": rep["elapsed_s"]}
    row["thr"], cost["thr"] = split_costs(rep["thr"]["flows"].get("lut4"))
    if "ratios" in rep:
        row["ref"], cost["ref"] = split_costs(rep["ref"]["flows"].get("lut4"))
    if g:
        cost["gate"] = split_costs(g)[1]
    return row, cost


def cost_path(result):
    return Path(str(result)[: -len(".json")] + ".cost.json")


def job_main(argv):
    """synth/scaling.py job MODEL N --result R.json: one row, written to R.json
    (and its cost to R.cost.json); a configuration the compiler refuses is
    recorded as {"error": ...} and left out of the table, as before."""
    ap = argparse.ArgumentParser(prog="synth/scaling.py job", description=job_main.__doc__)
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    ap.add_argument("--result", required=True)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--timeout", type=int, default=report.DEFAULT_TIMEOUT)
    ap.add_argument("--flows", default="gate,lut4")
    ap.add_argument("--out", default=str(ROOT / "build" / "report"), help="report work dir (its cache/ is used)")
    ap.add_argument("--no-ref", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    a = ap.parse_args(argv)
    try:
        row, cost = measure_one(a.model, a.n, a.tc0c, a.timeout, not a.no_ref, a.flows.split(","), a.out,
                                not a.no_cache)
    except RuntimeError as e:
        print(f"scaling: {a.model} n={a.n}: {e}", file=sys.stderr)
        row, cost = {"model": a.model, "n": a.n, "error": str(e)}, {}
    res = Path(a.result)
    res.parent.mkdir(parents=True, exist_ok=True)
    cost_path(res).write_text(json.dumps(cost, indent=1) + "\n")
    res.write_text(json.dumps(row, indent=1) + "\n")
    return 0


def sweep_jobs(models, ns, tc0c, timeout, want_ref, sdir):
    inputs = ([os.path.relpath(tc0c, ROOT), "synth/report.py", "synth/scaling.py", "synth/flows/gate.ys",
               "synth/flows/lut4.ys"] + [os.path.relpath(r, ROOT) for r in report.RTL])
    jobs = []
    for m in models:
        for n in ns:
            res = os.path.relpath(Path(sdir) / "results" / f"{m}_n{n}.json", ROOT)
            cmd = [sweep.PY, "synth/scaling.py", "job", m, str(n), "--result", res, "--tc0c", tc0c,
                   "--timeout", str(timeout)] + ([] if want_ref else ["--no-ref"])
            jobs.append({"id": f"{m}_n{n}", "type": JOB_TYPE, "cmd": cmd, "result": res,
                         "inputs": [f"models/{m}.json"] + inputs})
    return jobs


def load_rows(sdir):
    """the rows of a finished sweep, in job order, with the CPU s of each run merged back"""
    rows = []
    for j in sweep.load(sdir)["jobs"]:
        row = json.loads((ROOT / j["result"]).read_text())
        if "error" in row:
            print(f"scaling: {row['model']} n={row['n']}: {row['error']}", file=sys.stderr)
            continue
        cf = cost_path(ROOT / j["result"])
        cost = json.loads(cf.read_text()) if cf.exists() else {}
        for k in ("thr", "ref"):
            if row.get(k) is not None and cost.get(k):
                row[k] = dict(row[k], **cost[k])
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
    plt = report.pyplot("scaling")
    if plt is None:
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


def write_outputs(rows, md, png, timeout, cmd):
    have_ref = any("ref" in r for r in rows)
    out = ROOT / "build" / "scaling"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
    t = table(rows, have_ref)
    block = (f"{BEGIN}\n<!-- generated by `{cmd}` (synth/scaling.py); {report.yosys_version()}; "
             f"CPU limit {timeout} s per Yosys run and the size limits of synth/report.py -->\n\n{t}\n\n{END}")
    report.write_marked(md, BEGIN, END, block,
                        f"# Scaling study\n\nRegenerate: `{cmd}`.\n\n{block}\n\n![scaling](scaling.png)\n")
    plotted = plot(rows, png, have_ref)
    print(t)
    print(f"scaling: wrote {out / 'scaling.json'}, {md}" + (f", {png}" if plotted else ""))


def collect_main(argv):
    """synth/scaling.py collect --sweep DIR ...: the table, the plot and
    build/scaling/scaling.json from a finished sweep (the sweep's collector)"""
    ap = argparse.ArgumentParser(prog="synth/scaling.py collect", description=collect_main.__doc__)
    ap.add_argument("--sweep", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--timeout", type=int, required=True)
    ap.add_argument("--cmd", required=True, help="the command named in the generated comment")
    a = ap.parse_args(argv)
    write_outputs(load_rows(a.sweep), a.md, a.png, a.timeout, a.cmd)
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("job", "collect"):
        return (job_main if sys.argv[1] == "job" else collect_main)(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="dyck1,anbn,parity")
    ap.add_argument("--ns", default="4,8,16,32,64")
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--timeout", type=int, default=report.DEFAULT_TIMEOUT)
    ap.add_argument("--md", default=str(ROOT / "docs" / "scaling.md"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "scaling.png"))
    ap.add_argument("--no-ref", action="store_true")
    ap.add_argument("--no-cache", action="store_true", help="run every Yosys flow again (build/report/cache unused)")
    ap.add_argument("--runner", default=os.environ.get("RUNNER") or "local", choices=["local", "slurm"],
                    help="where the jobs run (scripts/sweep.py, docs/cluster.md)")
    ap.add_argument("-j", "--jobs", type=int, help="jobs at a time (default: CPUs here; slurm: no throttle)")
    ap.add_argument("--sweep-dir", default=str(SWEEP_DIR))
    ap.add_argument("--no-wait", action="store_true", help="slurm: submit and return (re-run to collect)")
    ap.add_argument("--quiet", action="store_true", help="accepted for compatibility; job output goes to logs")
    a = ap.parse_args()
    models = [m for m in a.models.split(",") if m]
    ns = [int(x) for x in a.ns.split(",") if x]
    tc0c = str(Path(a.tc0c).resolve())
    sdir = Path(a.sweep_dir).resolve()
    cmd = "make scaling" if (a.models, a.ns) == ("dyck1,anbn,parity", "4,8,16,32,64") else \
        f"synth/scaling.py --models {a.models} --ns {a.ns}"
    collect = [sweep.PY, "synth/scaling.py", "collect", "--sweep", str(sdir), "--md", str(Path(a.md).resolve()),
               "--png", str(Path(a.png).resolve()), "--timeout", str(a.timeout), "--cmd", cmd]
    # a job runs up to three Yosys runs, each limited to `timeout` CPU s
    res = {JOB_TYPE: {"mem_mib": JOB_MEM_MIB, "time_min": max(10, (2 * 3 * a.timeout + 59) // 60)}}
    jobs = sweep_jobs(models, ns, tc0c, a.timeout, not a.no_ref, sdir)
    if a.no_cache:
        for j in jobs:
            j["cmd"].append("--no-cache")
    sweep.write_sweep(sdir, "scaling", jobs, collect, res)
    return sweep.run(sdir, a.runner, a.jobs, wait=not a.no_wait)


if __name__ == "__main__":
    sys.exit(main())
