#!/usr/bin/python3
"""Regression sweeps run through scripts/sweep.py (docs/cluster.md):
the verify / lut4-report matrix over models and n, and `tc0c verify
--random` split into seeded shards for an n too large for one job.

usage: scripts/regress.py matrix [--models dyck1,parity] [--ns 4,8]
                                 [--kinds verify,lut4,sim] [--no-ref] [--no-cache]
                                 [--sims icarus,verilator] [--styles thr,cells,maj]
                                 [--pipelines 0,2]
       scripts/regress.py shards MODEL N [--shards 8] [--per-shard 100000] [--seed 1]
       (both: [--runner local|slurm] [-j N] [--no-wait] [--sweep-dir DIR] [--tc0c BIN])
       scripts/regress.py verify-job MODEL N --result R.json [--random K --seed S]
       scripts/regress.py sim-job MODEL N K SIM STYLE --result R.json
       scripts/regress.py collect DIR

matrix: per model and n, a `verify` job (tc0c verify: every string up to
2^20 of them, else 100,000 seeded random ones) and a `lut4` job
(synth/scaling.py job --flows lut4: compiler figures and the lut4 flow of
synth/report.py) and, with the kind `sim`, a simulation job per
simulator, gate style and pipeline setting (sim/sim.sh: the netlist
against the reference's vectors in Icarus or Verilator); the collector
writes DIR/summary.md.  shards: job i runs
`tc0c verify MODEL -n N --random K --seed SEED+i`; the collector adds the
strings up.  A job that fails (tc0c exits non-zero: invalid model, circuit
and reference disagree) fails the sweep; its log is named.  Models are
names in models/ or paths to JSON files.  Default sweep directory:
build/sweeps/matrix or build/sweeps/shards-MODEL-nN.
"""
import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import sweep  # noqa: E402

VERIFY_RE = re.compile(r"^(\S+) n=(\d+): circuit = reference on (\d+) (\(all\)|random) strings "
                       r"\((\d+) gates, depth (\d+)\)$")
# per-job requests on a cluster, from the local measurements in docs/cluster.md
RESOURCES = {"verify": {"mem_mib": 512, "time_min": 30}, "lut4": {"mem_mib": 2048, "time_min": 30},
             "sim": {"mem_mib": 2048, "time_min": 30}}
SIM_RE = re.compile(r"^sim: (\S+) n=(\d+) (\S+) (.*) \((\d+) gates\), (\S+): (PASS|FAIL)\b.*?"
                    r"(\d+) vectors checked, (\d+) mismatches")


def model_path(m):
    return m if m.endswith(".json") else f"models/{m}.json"


def model_tag(m):
    return Path(m).stem


def verify_job(argv):
    ap = argparse.ArgumentParser(prog="scripts/regress.py verify-job")
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    ap.add_argument("--result", required=True)
    ap.add_argument("--random", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    a = ap.parse_args(argv)
    cmd = [a.tc0c, "verify", model_path(a.model), "-n", str(a.n)]
    if a.random is not None:
        cmd += ["--random", str(a.random)]
    if a.seed is not None:
        cmd += ["--seed", str(a.seed)]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        print(f"regress: tc0c verify exited {p.returncode}", file=sys.stderr)
        return p.returncode
    lines = [ln for ln in p.stdout.splitlines() if VERIFY_RE.match(ln)]
    if len(lines) != 1:
        print("regress: no 'circuit = reference on ...' line in the output of tc0c verify", file=sys.stderr)
        return 1
    m = VERIFY_RE.match(lines[0])
    res = {"model": a.model, "n": a.n, "mode": "exhaustive" if m.group(4) == "(all)" else "random",
           "seed": a.seed, "strings": int(m.group(3)), "gates": int(m.group(5)), "depth": int(m.group(6)),
           "verified": True}
    Path(a.result).parent.mkdir(parents=True, exist_ok=True)
    Path(a.result).write_text(json.dumps(res, indent=1) + "\n")
    return 0


def sim_job(argv):
    """one sim/sim.sh run; its summary line (without the times) as JSON"""
    ap = argparse.ArgumentParser(prog="scripts/regress.py sim-job", description=sim_job.__doc__)
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    ap.add_argument("pipeline", type=int)
    ap.add_argument("sim", choices=["icarus", "verilator"])
    ap.add_argument("style", choices=["thr", "cells", "maj"])
    ap.add_argument("--result", required=True)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    a = ap.parse_args(argv)
    cmd = ["sim/sim.sh", model_path(a.model), str(a.n), str(a.pipeline), a.sim, a.style]
    print("$ TC0C=" + a.tc0c + " " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, TC0C=a.tc0c))
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    m = [SIM_RE.match(ln) for ln in p.stdout.splitlines()]
    m = [x for x in m if x]
    if p.returncode != 0 or len(m) != 1 or m[0].group(7) != "PASS":
        print(f"regress: sim/sim.sh exited {p.returncode}" + ("" if m else " without a summary line"), file=sys.stderr)
        return p.returncode or 1
    g = m[0].groups()
    res = {"model": a.model, "n": a.n, "style": a.style, "pipeline": a.pipeline, "timing": g[3], "gates": int(g[4]),
           "sim": a.sim, "vectors": int(g[7]), "mismatches": int(g[8]), "passed": True}
    Path(a.result).parent.mkdir(parents=True, exist_ok=True)
    Path(a.result).write_text(json.dumps(res, indent=1) + "\n")
    return 0


def common(ap, default_dir):
    ap.add_argument("--runner", default=os.environ.get("RUNNER") or "local", choices=["local", "slurm"])
    ap.add_argument("-j", "--jobs", type=int)
    ap.add_argument("--sweep-dir", default=default_dir)
    ap.add_argument("--tc0c", default=str(ROOT / "build" / "tc0c"))
    ap.add_argument("--no-wait", action="store_true", help="slurm: submit and return (re-run to collect)")


def res_path(sdir, jid):
    return os.path.relpath(Path(sdir) / "results" / f"{jid}.json", ROOT)


def matrix(argv):
    ap = argparse.ArgumentParser(prog="scripts/regress.py matrix")
    ap.add_argument("--models", default="dyck1,parity")
    ap.add_argument("--ns", default="4,8")
    ap.add_argument("--kinds", default="verify,lut4")
    ap.add_argument("--no-ref", action="store_true", help="lut4 jobs: threshold netlist only")
    ap.add_argument("--no-cache", action="store_true", help="lut4 jobs: run Yosys even when cached")
    ap.add_argument("--sims", default="icarus", help="sim jobs: icarus, verilator")
    ap.add_argument("--styles", default="thr", help="sim jobs: gate styles thr, cells, maj")
    ap.add_argument("--pipelines", default="0", help="sim jobs: pipeline settings K")
    common(ap, str(ROOT / "build" / "sweeps" / "matrix"))
    a = ap.parse_args(argv)
    sdir = Path(a.sweep_dir).resolve()
    tc0c = str(Path(a.tc0c).resolve())
    kinds = [k for k in a.kinds.split(",") if k]
    for k in kinds:
        if k not in RESOURCES:
            raise SystemExit(f"regress: unknown kind {k!r} (verify, lut4)")
    tc0c_in = os.path.relpath(tc0c, ROOT)
    jobs = []
    for m in filter(None, a.models.split(",")):
        for n in [int(x) for x in a.ns.split(",") if x]:
            for k in kinds:
                if k == "sim":
                    for sim in filter(None, a.sims.split(",")):
                        for st in filter(None, a.styles.split(",")):
                            for kp in [int(x) for x in a.pipelines.split(",") if x]:
                                jid = f"sim_{sim}_{st}_k{kp}_{model_tag(m)}_n{n}"
                                r = res_path(sdir, jid)
                                jobs.append({"id": jid, "type": "sim", "result": r,
                                             "cmd": [sweep.PY, "scripts/regress.py", "sim-job", m, n, kp, sim, st,
                                                     "--result", r, "--tc0c", tc0c],
                                             "inputs": [model_path(m), tc0c_in, "scripts/regress.py", "sim/sim.sh",
                                                        "sim/lib.sh", "sim/tb.cpp", "sim/tb_icarus.v"]})
                    continue
                jid = f"{k}_{model_tag(m)}_n{n}"
                r = res_path(sdir, jid)
                if k == "verify":
                    cmd = [sweep.PY, "scripts/regress.py", "verify-job", m, n, "--result", r, "--tc0c", tc0c]
                    inputs = [tc0c_in, "scripts/regress.py"]
                else:
                    cmd = [sweep.PY, "synth/scaling.py", "job", m, n, "--result", r, "--tc0c", tc0c,
                           "--flows", "lut4", "--out", os.path.relpath(sdir / "report", ROOT)]
                    cmd += (["--no-ref"] if a.no_ref else []) + (["--no-cache"] if a.no_cache else [])
                    inputs = [tc0c_in, "synth/scaling.py", "synth/report.py", "synth/flows/lut4.ys"]
                jobs.append({"id": jid, "type": k, "cmd": cmd, "result": r, "inputs": [model_path(m)] + inputs})
    sweep.write_sweep(sdir, "matrix", jobs, [sweep.PY, "scripts/regress.py", "collect", str(sdir)], RESOURCES)
    return sweep.run(sdir, a.runner, a.jobs, wait=not a.no_wait)


def shards(argv):
    ap = argparse.ArgumentParser(prog="scripts/regress.py shards")
    ap.add_argument("model")
    ap.add_argument("n", type=int)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--per-shard", type=int, default=100000, help="random strings per shard")
    ap.add_argument("--seed", type=int, default=1, help="shard i uses seed SEED+i")
    common(ap, None)
    a = ap.parse_args(argv)
    sdir = Path(a.sweep_dir or ROOT / "build" / "sweeps" / f"shards-{model_tag(a.model)}-n{a.n}").resolve()
    tc0c = str(Path(a.tc0c).resolve())
    jobs = []
    for i in range(a.shards):
        jid = f"verify_{model_tag(a.model)}_n{a.n}_seed{a.seed + i}"
        r = res_path(sdir, jid)
        jobs.append({"id": jid, "type": "verify", "result": r,
                     "cmd": [sweep.PY, "scripts/regress.py", "verify-job", a.model, a.n, "--result", r,
                             "--random", a.per_shard, "--seed", a.seed + i, "--tc0c", tc0c],
                     "inputs": [model_path(a.model), os.path.relpath(tc0c, ROOT), "scripts/regress.py"]})
    sweep.write_sweep(sdir, "shards", jobs, [sweep.PY, "scripts/regress.py", "collect", str(sdir)], RESOURCES)
    return sweep.run(sdir, a.runner, a.jobs, wait=not a.no_wait)


def collect(argv):
    sdir = Path(argv[0]).resolve() if argv else None
    if sdir is None:
        raise SystemExit("usage: scripts/regress.py collect DIR")
    sw = sweep.load(sdir)
    L = ["| job | model | n | result |", "|---|---|---|---|"]
    total, seeds = {}, {}
    for j in sw["jobs"]:
        r = json.loads((ROOT / j["result"]).read_text())
        if "error" in r:
            what = f"refused: {r['error']}"
        elif j["type"] == "sim":
            what = (f"{r['sim']}, {r['style']} gates, {r['timing']}: {r['vectors']:,} vectors, "
                    f"{r['mismatches']} mismatches ({r['gates']} gates)")
        elif j["type"] == "verify":
            what = f"verified on {r['strings']:,} {'(all)' if r['mode'] == 'exhaustive' else 'random'} strings" \
                + (f" (seed {r['seed']})" if r["seed"] is not None else "") + f"; {r['gates']} gates, depth {r['depth']}"
            key = (r["model"], r["n"], r["mode"])
            total[key] = total.get(key, 0) + r["strings"]
            seeds.setdefault(key, []).append(r["seed"])
        else:
            t = r["thr"]
            what = (f"{r['gates']} gates, {r['edges']} edges, depth {r['depth']}; lut4: "
                    + (f"{t['luts']} LUT4, LUT depth {t['depth']}" if t["status"] == "ok" else t["status"]))
            if r.get("ref"):
                what += (f"; ref {r['ref']['luts']} LUT4, depth {r['ref']['depth']}" if r["ref"]["status"] == "ok"
                         else f"; ref {r['ref']['status']}")
        L.append(f"| {j['id']} | {model_tag(r['model'])} | {r['n']} | {what} |")
    L.append("")
    for (m, n, mode), s in total.items():
        k = len(seeds[(m, n, mode)])
        L.append(f"{model_tag(m)} n={n}: circuit = reference on {s:,} {'(all) ' if mode == 'exhaustive' else 'random '}"
                 f"strings in {k} job{'s' if k > 1 else ''}")
    text = "\n".join(L) + "\n"
    (sdir / "summary.md").write_text(text)
    sys.stdout.write(text)
    return 0


def main():
    cmds = {"matrix": matrix, "shards": shards, "verify-job": verify_job, "sim-job": sim_job, "collect": collect}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 1
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
