#!/usr/bin/python3
"""Size limits of the Yosys flows: runs every flow of synth/report.py on a
ladder of threshold netlists of growing size (no size guard), stops a flow
at its first timeout, and prints a Markdown table of CPU seconds, wall
seconds and peak memory.  The figures in docs/reports.md come from it.

usage: synth/calibrate.py [--ladder MODEL:N,...] [--flows F,...]
                                  [--timeout S] [--tc0c BIN]
Results are cached like report.py's (build/report/cache).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402

ROOT = report.ROOT


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ladder", default="dyck1:16,dyck1:32,anbn:16,dyck1:64,anbn:32")
    ap.add_argument("--flows", default=",".join(report.SYNTH_FLOWS))
    ap.add_argument("--timeout", type=int, default=report.DEFAULT_TIMEOUT)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    a = ap.parse_args()
    flows = a.flows.split(",")
    out = ROOT / "build" / "report"
    rows = []
    dead = set()
    for step in a.ladder.split(","):
        m, n = step.split(":")
        n = int(n)
        work = out / "work" / f"calibrate_{m}_n{n}"
        stats, v, _ = report.compile_netlist(a.tc0c, ROOT / "models" / f"{m}.json", n, "thr", work / "thr")
        top = f"{stats['model']}_n{n}"
        for f in flows:
            if f in dead:
                rows.append((f, m, n, stats, {"status": "not run (timed out on a smaller netlist)"}))
                continue
            r = report.run_flow(f, v, top, work / "runs", a.timeout, report.DEFAULT_MEM_GIB, out / "cache")
            if r["status"] == "timeout":
                dead.add(f)
            rows.append((f, m, n, stats, r))
    print(f"| flow | netlist | gates | edges | status | LUTs / cells | depth | CPU s | wall s | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for f, m, n, st, r in sorted(rows, key=lambda x: report.FLOWS.index(x[0])):
        size = report.size_of(dict(r, flow=f)) if r.get("status") == "ok" else None
        print(f"| {f} | {m} n={n} | {st['gates']:,} | {st['edges']:,} | {r['status']} | "
              f"{size if size is not None else '-'} | {r.get('depth', '-') if r.get('status') == 'ok' else '-'} | "
              f"{r.get('cpu_s', '-')} | {r.get('wall_s', '-')} | {r.get('peak_mib', '-')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
