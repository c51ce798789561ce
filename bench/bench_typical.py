#!/usr/bin/env python3
"""Compile figures of the typical models (models/typical/) and the example
models (models/*.json) at n = 8, 16, 32 and 64: gates, wires, edges,
threshold depth, the deepest layer, the size estimate over what was built,
compile seconds and peak RSS (`tc0c compile`, timed with /usr/bin/time),
and for the largest run the throughput beside the issue-13 targets (10^6
wires/s, 200 bytes/wire): of building the circuit (`tc0c stats`: load,
estimate, build, statistics, as bench/bench_compile.sh measures it; the
median of 3 runs), and of the whole `tc0c compile` (which also writes the
Verilog and stats.json), per wall and per CPU second, and peak bytes per
wire.

A run the size guard refuses (exit 4) is reported as refused, with the
time it took to refuse; any other failure makes the benchmark fail.
Output: "name: value unit" lines (bench/run.sh collects them).

usage: python3 bench/bench_typical.py [--tc0c BIN] [--ns 8,16,32,64] [MODEL...]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from depth_table import layer_depths  # noqa: E402  (levels each layer adds)
from tc0c_stats import compile_stats  # noqa: E402


def run(tc0c, model, n, tmp):
    """compile_stats under /usr/bin/time: exit code, wall and CPU (user + sys) seconds, peak bytes, stderr, stats."""
    with tempfile.NamedTemporaryFile("r") as tf:
        rc, err, st = compile_stats(tc0c, model, n, tmp,
                                    prefix=("/usr/bin/time", "-f", "%e %U %S %M", "-o", tf.name))
        secs, user, sys_s, kb = tf.read().split()[-4:]
    res = {"rc": rc, "seconds": float(secs), "cpu_seconds": float(user) + float(sys_s),
           "peak_bytes": int(kb) * 1024, "stderr": err.strip()}
    if st is not None:
        res["stats"] = st
    return res


def stats_run(tc0c, model, n):
    """`tc0c stats MODEL -n N` under /usr/bin/time: (wall seconds, peak bytes)."""
    with tempfile.NamedTemporaryFile("r") as tf:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name, tc0c, "stats", model, "-n", str(n),
                        "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        secs, kb = tf.read().split()[-2:]
    return float(secs), int(kb) * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tc0c", default=os.path.join(ROOT, "build", "tc0c"))
    ap.add_argument("--ns", default="8,16,32,64")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    tc0c = os.path.abspath(a.tc0c)
    models = a.models or sorted(glob.glob(os.path.join(ROOT, "models/typical/*.json"))) + \
        sorted(glob.glob(os.path.join(ROOT, "models/*.json")))
    ns = [int(x) for x in a.ns.split(",")]
    status, largest = 0, None
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            rel = os.path.relpath(m, ROOT)
            tag = rel.removeprefix("models/").removesuffix(".json").replace("/", "_")
            for n in ns:
                r = run(tc0c, m, n, tmp)
                pre = f"typical.{tag}.n{n}"
                print(f"{pre}.seconds: {r['seconds']:.2f} s")
                print(f"{pre}.peak_rss: {r['peak_bytes'] / 2**20:.1f} MiB")
                if r["rc"] == 4:
                    print(f"{pre}.refused: 1 flag")
                    print(f"  {rel} n={n}: refused by the size guard: {r['stderr'].splitlines()[-1]}",
                          file=sys.stderr)
                    continue
                if r["rc"] != 0 or "stats" not in r:
                    print(f"  {rel} n={n}: FAILED (exit {r['rc']}): {r['stderr'][-400:]}", file=sys.stderr)
                    status = 1
                    continue
                st = r["stats"]
                wires = st.get("wires", st["edges"])
                est = st.get("estimate_wires", st.get("estimate"))
                built = wires if "estimate_wires" in st else st["gates"]
                print(f"{pre}.gates: {st['gates']} gates")
                print(f"{pre}.wires: {wires} wires")
                print(f"{pre}.edges: {st['edges']} edges")
                print(f"{pre}.depth: {st['depth']} levels")
                print(f"{pre}.max_layer_depth: {max(layer_depths(st), default=0)} levels")
                if est is not None and built:
                    print(f"{pre}.estimate_over_built: {est / built:.2f} ratio")
                if largest is None or wires > largest[0]:
                    largest = (wires, r["seconds"], r["cpu_seconds"], r["peak_bytes"], f"{tag}.n{n}", m, n)
    if largest:
        wires, secs, cpu, peak, name, model, n = largest
        secs, cpu = max(secs, 0.01), max(cpu, 0.01)
        build = sorted(stats_run(tc0c, model, n) for _ in range(3))[1]  # median (wall, peak)
        bsecs = max(build[0], 0.01)
        print(f"  largest run: {name}", file=sys.stderr)
        print(f"typical.largest.wires: {wires} wires")
        print(f"typical.largest.build_seconds: {bsecs:.2f} s")
        print(f"typical.largest.build_wires_per_s: {wires / bsecs:.0f} wires/s")
        print(f"typical.largest.build_peak_bytes_per_wire: {build[1] / max(wires, 1):.0f} bytes/wire")
        print(f"typical.largest.compile_wires_per_s: {wires / secs:.0f} wires/s")
        # CPU time: on a shared machine wall time is several times CPU time
        print(f"typical.largest.compile_wires_per_cpu_s: {wires / cpu:.0f} wires/s")
        print(f"typical.largest.peak_bytes_per_wire: {peak / max(wires, 1):.0f} bytes/wire")
        print(f"typical.largest.speed_vs_target: {wires / bsecs / 1e6:.3f} ratio")
        print(f"typical.largest.compile_speed_vs_target: {wires / secs / 1e6:.3f} ratio")
        print(f"typical.largest.memory_vs_target: {peak / max(wires, 1) / 200:.2f} ratio")
    return status


if __name__ == "__main__":
    sys.exit(main())
