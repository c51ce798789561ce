#!/usr/bin/python3
"""Hardware report for one tc0c configuration: compiler stats plus Yosys
figures for the threshold netlist and (when tc0c has --emit-ref) the
arithmetic reference RTL, with their ratios.

usage: synth/report.py MODEL N [--tc0c BIN] [--out DIR] [--flows LIST]
                         [--timeout S] [--max-edges FLOW=E,...] [--no-ref]
                         [--no-cache] [--quiet]

Writes OUT/<name>_n<N>.json and OUT/<name>_n<N>.md (OUT: build/report).
The flows are the Yosys scripts in synth/flows/ (docs/reports.md):
  gate     --gates cells netlist, threshold cells as black boxes: ltp depth
           (must equal the compiler's "depth")
  generic  synth -flatten: internal gate cells
  lut4/6   synth -noabc + abc -lut K with a fixed ABC script: LUTs, LUT depth
  ice40 xilinx ecp5 gowin   synth_<family>: LUTs, carries, muxes, DSPs
Every Yosys run has a CPU-time limit (--timeout, seconds; wall clock
capped at 4x that) and a memory limit; a flow on a
threshold netlist with more edges (sum of fan-ins) than its --max-edges
limit is skipped for size before it starts.  Skips and timeouts are
recorded in the JSON ("status") and said in the Markdown, never dropped.
Results are cached in OUT/cache keyed by the Verilog text and the flow
script, so re-running (or `make scaling` after `make report`) is cheap.
Standard library only.
"""
import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YSDIR = ROOT / "synth" / "flows"
RTL = [ROOT / "rtl" / f for f in ("tc0c_thr.v", "tc0c_mthr.v", "tc0c_maj.v")]

FLOWS = ["gate", "generic", "lut4", "lut6", "ice40", "xilinx", "ecp5", "gowin"]
SYNTH_FLOWS = FLOWS[1:]
# Size guard: largest threshold netlist (edges = sum of fan-ins) each flow
# is started on.  Calibrated with synth/calibrate.py on the example
# models (docs/reports.md, "Measured limits"): every flow but ice40 finished
# anbn n=32 (9,924 edges) in 71-158 CPU s, and the cost grows faster than
# the edge count; synth_ice40's default ABC script (&fraig -x) ran past
# 300 CPU s on dyck1 n=64 (4,608 edges) after 16 s on anbn n=16 (1,884).
DEFAULT_MAX_EDGES = {
    "gate": None,
    "generic": 12000,
    "lut4": 12000,
    "lut6": 12000,
    "ice40": 2500,
    "xilinx": 12000,
    "ecp5": 12000,
    "gowin": 12000,
}
DEFAULT_TIMEOUT = 300  # CPU seconds per Yosys run
WALL_FACTOR = 4       # wall-clock cap: WALL_FACTOR * timeout
DEFAULT_MEM_GIB = 8

LUT_RE = re.compile(r"^(\$lut|SB_LUT4|LUT[1-6]|INV)$")  # Xilinx INV is a LUT1
CARRY_RE = re.compile(r"^(SB_CARRY|CARRY4|CARRY8|CCU2C|CCU2D|ALU)$")
MUX_RE = re.compile(r"^(MUXF[78]|PFUMX|L6MUX21|MUX2_LUT[5-8])$")
DSP_RE = re.compile(r"^(DSP48E1|DSP48E2|MULT18X18D|MULT9X9D|SB_MAC16|MULT\d+X\d+|ALU54D|\$mul)$")
FF_RE = re.compile(r"(DFF|^FD[CPRS]E?$|^TRELLIS_FF$|^\$_SDFF|^\$_DFF|^\$dff$)")
IO_RE = re.compile(r"^(IBUF|OBUF|IOBUF|SB_IO|TRELLIS_IO|GND|VCC)$")


def log(quiet, *a):
    if not quiet:
        print(*a, file=sys.stderr, flush=True)


def yosys_version():
    try:
        return subprocess.run(["yosys", "-V"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_limited(cmd, cwd, timeout, mem_gib, logfile, wall_factor=WALL_FACTOR):
    """Runs cmd under a CPU-time limit of `timeout` seconds (RLIMIT_CPU, which
    yosys-abc children inherit: each process gets the budget), an
    address-space limit, and a wall-clock cap of wall_factor * timeout (this
    machine's cores are shared, so wall time overstates the cost).
    Returns (status, wall_s, cpu_s, peak_mib): status ok | error | timeout;
    cpu_s includes the reaped children (yosys-abc)."""
    def limits():
        if mem_gib:
            b = int(mem_gib * (1 << 30))
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
        t = max(1, int(timeout))
        resource.setrlimit(resource.RLIMIT_CPU, (t, t + 5))
    t0 = time.monotonic()
    with open(logfile, "w") as lf:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=lf, stderr=subprocess.STDOUT,
                             preexec_fn=limits, start_new_session=True)
        while True:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                rc = os.waitstatus_to_exitcode(st)
                status = "ok" if rc == 0 else "error"
                if rc in (-signal.SIGXCPU, -signal.SIGKILL):
                    status = "timeout"
                break
            if time.monotonic() - t0 > wall_factor * timeout:
                try:
                    os.killpg(p.pid, signal.SIGKILL)  # yosys and its yosys-abc child
                except ProcessLookupError:
                    pass
                _, st, ru = os.wait4(p.pid, 0)
                status = "timeout"
                break
            time.sleep(0.05)
        p.returncode = 0  # reaped above
    wall = time.monotonic() - t0
    cpu = ru.ru_utime + ru.ru_stime
    if status == "error" and cpu >= 0.95 * timeout:
        status = "timeout"  # a child (yosys-abc) hit the CPU limit and yosys reported the failure
    return status, round(wall, 2), round(cpu, 2), round(ru.ru_maxrss / 1024, 1)


def yosys_commands(flow, vfile, top):
    reads = ""
    if flow == "gate":
        reads = "read_verilog -lib " + " ".join(str(r) for r in RTL) + "; "
    return (f"{reads}read_verilog {vfile}; hierarchy -check -top {top}; "
            f"rename {top} top; script {YSDIR / (flow + '.ys')}")


def cache_key(flow, vfile):
    h = hashlib.sha256()
    h.update(b"tc0c-report-cache-2")  # bump when result semantics change
    h.update(flow.encode())
    h.update((YSDIR / (flow + ".ys")).read_bytes())
    h.update(Path(vfile).read_bytes())
    if flow == "gate":
        for r in RTL:
            h.update(r.read_bytes())
    return h.hexdigest()[:24]


def classify(by_type):
    out = {"luts": 0, "carries": 0, "muxes": 0, "dsps": 0, "ffs": 0, "io": 0}
    for t, k in by_type.items():
        if LUT_RE.match(t):
            out["luts"] += k
        elif CARRY_RE.match(t):
            out["carries"] += k
        elif MUX_RE.match(t):
            out["muxes"] += k
        elif DSP_RE.match(t):
            out["dsps"] += k
        elif FF_RE.search(t):
            out["ffs"] += k
        elif IO_RE.match(t):
            out["io"] += k
    return out


def parse_results(wd):
    r = {}
    try:
        st = json.loads((wd / "stat.json").read_text())
        mod = st.get("modules", {}).get("\\top") or st.get("design", {})
        r["cells"] = mod.get("num_cells")
        r["cells_by_type"] = mod.get("num_cells_by_type", {})
        r.update(classify(r["cells_by_type"]))
    except (OSError, ValueError) as e:
        r["parse_error"] = f"stat.json: {e}"
    try:
        m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", (wd / "ltp.txt").read_text())
        r["depth"] = int(m.group(1)) if m else None
    except OSError as e:
        r["parse_error"] = f"ltp.txt: {e}"
    return r


def run_flow(flow, vfile, top, work, timeout, mem_gib, cache_dir, edges=None, max_edges=None, quiet=False):
    """One Yosys flow on one netlist; returns a result dict (never raises for tool failures)."""
    res = {"flow": flow, "file": str(vfile)}
    if max_edges is not None and edges is not None and edges > max_edges:
        res.update(status="skipped", reason=f"size: {edges} edges > {max_edges} (limit for {flow}; --max-edges)")
        log(quiet, f"  {flow:8s} {Path(vfile).name}: skipped for size ({edges} edges > {max_edges})")
        return res
    key = cache_key(flow, vfile)
    cfile = cache_dir / f"{key}.json" if cache_dir else None
    if cfile and cfile.exists():
        c = json.loads(cfile.read_text())
        # a run out of time or memory is taken again under a larger limit
        again = ((c["status"] == "timeout" and c.get("timeout_s", 0) < timeout)
                 or ((c.get("oom") or c.get("reason", "").startswith("out of memory"))
                     and (not mem_gib or c.get("mem_gib", 0) < mem_gib)))
        if not again:  # only ok, error and timeout results are written
            c["cached"] = True
            if c["status"] == "ok":
                c.update(classify(c.get("cells_by_type", {})))
            c["file"] = str(vfile)
            log(quiet, f"  {flow:8s} {Path(vfile).name}: {c['status']} (cached)")
            return c
    wd = work / flow
    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    cmd = ["yosys", "-q", "-l", "yosys.log", "-p", yosys_commands(flow, vfile, top)]
    log(quiet, f"  {flow:8s} {Path(vfile).name}: running (timeout {timeout} s)")
    status, wall, cpu, peak = run_limited(cmd, wd, timeout, mem_gib, wd / "stdout.log")
    res.update(status=status, wall_s=wall, cpu_s=cpu, peak_mib=peak, timeout_s=timeout)
    if status == "ok":
        res.update(parse_results(wd))
        if "parse_error" in res:
            res["status"] = "error"
            res["reason"] = res.pop("parse_error")
    elif status == "timeout":
        res["reason"] = (f"timed out: CPU limit {timeout} s (--timeout)" if cpu >= 0.9 * timeout else
                         f"timed out: wall-clock cap {WALL_FACTOR * timeout} s ({cpu} s CPU used)")
    else:
        tail, oom = "", ""
        for lf in (wd / "yosys.log", wd / "stdout.log"):
            if lf.exists():
                lines = [ln for ln in lf.read_text(errors="replace").splitlines() if ln.strip()]
                # an allocation past RLIMIT_AS ends in stdout.log (stderr), after
                # yosys.log's last pass line: look in both logs for it
                oom = oom or next((ln.strip() for ln in lines if "bad_alloc" in ln or "out of memory" in ln.lower()), "")
                errs = [ln for ln in lines if "ERROR" in ln or "rror" in ln]
                tail = tail or (errs or lines[-3:] or [""])[-1]
        if oom or (mem_gib and peak >= mem_gib * 1024 * 0.95):
            res.update(oom=True, mem_gib=mem_gib)
            res["reason"] = (f"out of memory: address-space limit {mem_gib} GiB (--mem-gib), {peak} MiB resident: "
                             f"{oom or tail}")
        else:
            res["reason"] = f"yosys failed: {tail}"
    log(quiet, f"  {flow:8s} {Path(vfile).name}: {res['status']} {wall} s wall, {cpu} s CPU, {peak} MiB"
        + (f", {res.get('luts') or res.get('cells')} cells/LUTs, depth {res.get('depth')}" if res["status"] == "ok" else
           f" ({res.get('reason')})"))
    if cfile and status in ("ok", "error", "timeout"):
        cache_dir.mkdir(parents=True, exist_ok=True)
        cfile.write_text(json.dumps(res, indent=1))
    return res


def pyplot(who):
    """matplotlib.pyplot with the Agg backend, or None (said on stderr)
    when python3-matplotlib is missing: the tables are written anyway"""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"{who}: python3-matplotlib missing (make deps); no plot", file=sys.stderr)
        return None
    return plt


def write_marked(md, begin, end, block, new_page):
    """Replaces the text from the begin marker to the end marker of the
    Markdown file md with block (which holds both markers), leaving the
    rest as it is; a file without the markers becomes new_page."""
    md = Path(md)
    if md.exists() and begin in md.read_text():
        pre, _, rest = md.read_text().partition(begin)
        md.write_text(pre + block + rest.partition(end)[2])
    else:
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(new_page)


def has_emit_ref(tc0c):
    try:
        h = subprocess.run([tc0c, "help"], capture_output=True, text=True, timeout=30)
        return "--emit-ref" in (h.stdout + h.stderr)
    except (OSError, subprocess.SubprocessError):
        return False


def compile_netlist(tc0c, model, n, style, outdir, emit_ref=False, compile_args=()):
    """tc0c compile into a fresh outdir; returns (stats dict, .v path, ref .v path or None).
    compile_args: further `tc0c compile` options (say --max-depth D)."""
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    cmd = [tc0c, "compile", str(model), "-n", str(n), "-o", str(outdir), "--gates", style, "--quiet"] + list(compile_args)
    if emit_ref:
        cmd.append("--emit-ref")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError(f"cannot run {tc0c}: {e}")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    stats_files = sorted(outdir.glob(f"*_n{n}.stats.json"))
    if len(stats_files) != 1:
        raise RuntimeError(f"expected one stats JSON in {outdir}")
    stats = json.loads(stats_files[0].read_text())
    base = stats_files[0].name[: -len(".stats.json")]
    v = outdir / f"{base}.v"
    ref = outdir / f"{base}_ref.v"
    return stats, v, (ref if ref.exists() else None)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def size_of(res):
    """the area figure of a flow result: LUTs for LUT/FPGA flows, cells for generic and gate"""
    if res.get("status") != "ok":
        return None
    if res["flow"] in ("generic", "gate"):
        return res.get("cells")
    return res.get("luts")


def make_report(model, n, tc0c="build/tc0c", out=None, flows=None, timeout=DEFAULT_TIMEOUT,
                max_edges=None, mem_gib=DEFAULT_MEM_GIB, want_ref=True, use_cache=True, quiet=False,
                compile_args=(), tag=""):
    """compile_args: further `tc0c compile` options for the threshold netlist;
    tag: a suffix of its work directory, so that variants do not share one"""
    out = Path(out or ROOT / "build" / "report").resolve()
    flows = flows or FLOWS
    limits = dict(DEFAULT_MAX_EDGES)
    limits.update(max_edges or {})
    tc0c = str(Path(tc0c).resolve()) if os.sep in tc0c else tc0c
    model = Path(model).resolve()
    cache_dir = out / "cache" if use_cache else None
    ref_ok = want_ref and has_emit_ref(tc0c)
    tmp = out / "work" / f"{model.stem}_n{n}{tag}"
    t0 = time.monotonic()

    stats, thr_v, ref_v = compile_netlist(tc0c, model, n, "thr", tmp / "thr", emit_ref=ref_ok,
                                          compile_args=compile_args)
    name = f"{stats['model']}_n{n}"
    log(quiet, f"report {name}: {stats['gates']} gates, depth {stats['depth']}, {stats['edges']} edges")
    rep = {
        "model": stats["model"], "model_file": os.path.relpath(model, ROOT), "n": n,
        "yosys": yosys_version(), "compiler": stats,
        "settings": {"timeout_s": timeout, "mem_gib": mem_gib,
                     "max_edges": {f: limits.get(f) for f in flows}, "flows": flows},
        "thr": {"file": os.path.relpath(thr_v, ROOT), "flows": {}},
    }
    if compile_args:
        rep["settings"]["compile_args"] = list(compile_args)
    edges = stats.get("edges")
    if "gate" in flows:
        _, cells_v, _ = compile_netlist(tc0c, model, n, "cells", tmp / "cells", compile_args=compile_args)
        g = run_flow("gate", cells_v, name, tmp / "cells_work", timeout, mem_gib, cache_dir,
                     edges, limits.get("gate"), quiet)
        g["compiler_depth"] = stats["depth"]
        g["depth_matches"] = g.get("status") == "ok" and g.get("depth") == stats["depth"]
        rep["gate"] = g
    for f in flows:
        if f == "gate":
            continue
        rep["thr"]["flows"][f] = run_flow(f, thr_v, name, tmp / "thr_work", timeout, mem_gib, cache_dir,
                                          edges, limits.get(f), quiet)
    if ref_v is not None:
        rep["ref"] = {"file": os.path.relpath(ref_v, ROOT), "flows": {}}
        for f in flows:
            if f == "gate":
                continue
            # no edge count for the arithmetic RTL: only the timeout guards it
            rep["ref"]["flows"][f] = run_flow(f, ref_v, name + "_ref", tmp / "ref_work", timeout, mem_gib,
                                              cache_dir, None, None, quiet)
        rep["ratios"] = {}
        for f in flows:
            if f == "gate":
                continue
            a, b = rep["thr"]["flows"][f], rep["ref"]["flows"][f]
            rep["ratios"][f] = {"size": ratio(size_of(a), size_of(b)),
                                "depth": ratio(a.get("depth") if a.get("status") == "ok" else None,
                                               b.get("depth") if b.get("status") == "ok" else None)}
    else:
        rep["ref"] = {"status": "unavailable",
                      "reason": ("not requested (--no-ref)" if not want_ref else
                                 f"{tc0c} has no `compile --emit-ref` yet (arithmetic reference RTL)")}
    rep["elapsed_s"] = round(time.monotonic() - t0, 1)
    return rep


def fmt(v, nd=0):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}" if nd else f"{v:g}"
    return f"{v:,}"


def cell_summary(res):
    if res.get("status") != "ok":
        return ""
    parts = [f"{k} {v}" for k, v in sorted(res.get("cells_by_type", {}).items(), key=lambda kv: -kv[1])]
    return ", ".join(parts[:6]) + (", ..." if len(parts) > 6 else "")


def status_note(res):
    s = res.get("status")
    if s == "ok":
        return ""
    return f"**{s}**: {res.get('reason', '')}"


def markdown(rep):
    c = rep["compiler"]
    L = [f"# Hardware report: {rep['model']}, n = {rep['n']}", "",
         f"Model `{rep['model_file']}`; {rep['yosys']}. Generated by `make report MODEL={rep['model_file']} "
         f"N={rep['n']}` (synth/report.py); flows in synth/flows/, described in docs/reports.md.", "",
         "## Compiler", "",
         "| gates | threshold depth | edges | max fan-in | sum groups | inputs | outputs |",
         "|---|---|---|---|---|---|---|",
         f"| {fmt(c['gates'])} | {c['depth']} | {fmt(c['edges'])} | {c['max_fanin']} | {fmt(c.get('sum_groups'))} "
         f"| {c['inputs']} | {c['outputs']} |", ""]
    g = rep.get("gate")
    if g:
        L += ["## Threshold depth in Yosys (gate cells as black boxes, `ltp`)", ""]
        if g["status"] == "ok":
            L.append(f"`ltp` depth {g['depth']}, compiler depth {g['compiler_depth']}: "
                     + ("**match**." if g["depth_matches"] else "**MISMATCH**.")
                     + f" {fmt(g.get('cells'))} cells ({cell_summary(g)}).")
        else:
            L.append(status_note(g))
        L.append("")
    have_ref = "ratios" in rep
    L += ["## Synthesis", "",
          "Size: LUTs for the LUT and FPGA flows (carries, muxes, DSPs listed apart), cells for `generic`. "
          "Depth: `ltp -noff` on the mapped netlist (LUT levels for lut4/lut6; cell levels, carry cells "
          "included, for the FPGA families; gate levels for generic).", ""]
    hdr = "| flow | threshold size | depth | other cells | CPU s |"
    sep = "|---|---|---|---|---|"
    if have_ref:
        hdr += " reference RTL size | depth | other cells | CPU s | size ratio thr/ref | depth ratio thr/ref |"
        sep += "---|---|---|---|---|---|"
    L += [hdr, sep]
    notes = []

    def cols(res):
        if res.get("status") != "ok":
            notes.append(f"- {res['flow']} on `{Path(res['file']).name}`: {status_note(res)}")
            return [res.get("status", "-"), "-", "-", fmt(res.get("cpu_s"))]
        other = ", ".join(f"{k} {res[k]}" for k in ("carries", "muxes", "dsps", "ffs") if res.get(k))
        return [fmt(size_of(res)), fmt(res.get("depth")), other or "-", fmt(res.get("cpu_s"))]

    for f, a in rep["thr"]["flows"].items():
        row = [f] + cols(a)
        if have_ref:
            row += cols(rep["ref"]["flows"][f])
            r = rep["ratios"][f]
            row += [fmt(r["size"], 2), fmt(r["depth"], 2)]
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    if not have_ref:
        L += [f"Reference RTL: {rep['ref']['reason']}; no ratios.", ""]
    if notes:
        L += ["Not measured:", ""] + notes + [""]
    L += ["Cell types (threshold netlist):", ""]
    for f, a in rep["thr"]["flows"].items():
        if a.get("status") == "ok":
            L.append(f"- {f}: {cell_summary(a)}")
    if have_ref:
        L += ["", "Cell types (reference RTL):", ""]
        for f, a in rep["ref"]["flows"].items():
            if a.get("status") == "ok":
                L.append(f"- {f}: {cell_summary(a)}")
    L.append("")
    return "\n".join(L)


def parse_max_edges(s):
    d = {}
    for part in filter(None, (s or "").split(",")):
        k, _, v = part.partition("=")
        if k not in FLOWS:
            raise SystemExit(f"report.py: unknown flow {k!r} in --max-edges")
        d[k] = None if v in ("", "none", "inf") else int(v)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--out", default=str(ROOT / "build" / "report"))
    ap.add_argument("--flows", default=",".join(FLOWS), help="comma list from " + ",".join(FLOWS))
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help=f"CPU seconds per Yosys run (wall cap {WALL_FACTOR}x)")
    ap.add_argument("--mem-gib", type=float, default=DEFAULT_MEM_GIB, help="address-space limit per Yosys run")
    ap.add_argument("--max-edges", default="", help="FLOW=E,... size guard overrides (none: no limit)")
    ap.add_argument("--no-ref", action="store_true", help="skip the arithmetic reference RTL")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    flows = [f for f in a.flows.split(",") if f]
    for f in flows:
        if f not in FLOWS:
            raise SystemExit(f"report.py: unknown flow {f!r}; flows: {', '.join(FLOWS)}")
    if shutil.which("yosys") is None:
        raise SystemExit("report.py: yosys not found (make deps)")
    try:
        rep = make_report(a.model, a.n, a.tc0c, a.out, flows, a.timeout, parse_max_edges(a.max_edges),
                          a.mem_gib, not a.no_ref, not a.no_cache, a.quiet)
    except RuntimeError as e:
        raise SystemExit(f"report.py: {e}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{rep['model']}_n{rep['n']}"
    base.with_suffix(".json").write_text(json.dumps(rep, indent=1) + "\n")
    base.with_suffix(".md").write_text(markdown(rep))
    print(f"report: wrote {base}.json and {base}.md")
    g = rep.get("gate")
    if g and g.get("status") == "ok" and not g["depth_matches"]:
        print(f"report: Yosys ltp depth {g['depth']} != compiler depth {g['compiler_depth']}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
