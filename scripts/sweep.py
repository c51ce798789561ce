#!/usr/bin/python3
"""Sweep runner: a sweep is a list of independent jobs written to a file;
a runner executes the jobs that are not done yet, then the sweep's
collector merges their JSON results (docs/cluster.md).

usage: scripts/sweep.py run DIR [--runner local|slurm] [-j N] [--force] [--no-wait]
       scripts/sweep.py status DIR        done / failed / missing per job
       scripts/sweep.py costs DIR...      CPU s and peak memory per job type
       scripts/sweep.py exec DIR INDEX|collect   (what one array task runs)

DIR/sweep.json holds {"name", "jobs": [{"id", "type", "cmd", "result",
"inputs"}], "collect": cmd, "resources": {type: {"mem_mib", "time_min"}}};
commands are argument lists run in the repository root.  A job is done
when its status file (DIR/status/ID.json) says exit 0 for the same
command and input files (a hash) and its result file exists; `run` starts
only the jobs that are not done, so a re-run after a failure or an edit
resubmits only what is missing.  Each job's output goes to
DIR/logs/ID.log; its status records exit code, CPU seconds and peak RSS
(wait4, as /usr/bin/time -v reports them).

Runners: local (default) runs the jobs here, N at a time (default: the
number of CPUs), with a progress line per finished job.  slurm submits
one job array per job type (`sbatch --array`, one array task per job,
--mem and --time from "resources") and the collector with
`--dependency=afterok`, follows them with squeue, and reports failed jobs
with their logs.  sbatch/squeue go to the private cluster
(scripts/cluster.sh; build/cluster or $TC0C_CLUSTER_DIR) while it is up
and SLURM_CONF is not set, else to
the cluster this machine is a login node of (SBATCH_PARTITION,
SBATCH_ACCOUNT and SWEEP_SBATCH="more sbatch options" apply).
Standard library only.
"""
import argparse
import hashlib
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as wait_any
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable or "/usr/bin/python3"
DEFAULT_RESOURCES = {"mem_mib": 1024, "time_min": 60}


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def rel(p):
    p = Path(p).resolve()
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


# ---- the sweep file ---------------------------------------------------------

def write_sweep(sdir, name, jobs, collect=None, resources=None):
    """Writes DIR/sweep.json (jobs: dicts with id, type, cmd, result, inputs)."""
    sdir = Path(sdir)
    ids = [j["id"] for j in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"sweep {name}: duplicate job ids")
    for j in jobs:
        j.setdefault("type", "job")
        j.setdefault("inputs", [])
        j["cmd"] = [str(c) for c in j["cmd"]]
    sw = {"name": name, "root": str(ROOT), "jobs": jobs, "collect": [str(c) for c in collect] if collect else None,
          "resources": resources or {}}
    sdir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(sw, indent=1) + "\n"
    f = sdir / "sweep.json"
    if not f.exists() or f.read_text() != text:
        tmp = f.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(f)
    return f


def load(sdir):
    f = Path(sdir) / "sweep.json"
    try:
        return json.loads(f.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"sweep: cannot read {f}: {e}")


def file_hash(p, memo={}):  # noqa: B006 - a per-process memo is the point
    p = ROOT / p
    key = (str(p), p.stat().st_mtime_ns if p.exists() else None)
    if key not in memo:
        memo[key] = hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing"
    return memo[key]


def job_hash(job):
    h = hashlib.sha256(json.dumps([job["cmd"], job["result"]]).encode())
    for p in job.get("inputs", []):
        h.update(f"\0{p}\0{file_hash(p)}".encode())
    return h.hexdigest()[:20]


def status_path(sdir, jid):
    return Path(sdir) / "status" / f"{jid}.json"


def log_path(sdir, jid):
    return Path(sdir) / "logs" / f"{jid}.log"


def read_status(sdir, jid):
    try:
        return json.loads(status_path(sdir, jid).read_text())
    except (OSError, ValueError):
        return None


def job_state(sdir, job):
    """done | failed | missing (never run, or run for another command or inputs)"""
    st = read_status(sdir, job["id"])
    if st is None or st.get("hash") != job_hash(job):
        return "missing"
    if st.get("rc") == 0 and (ROOT / job["result"]).exists():
        return "done"
    return "failed"


# ---- one job (what a local worker or a Slurm array task runs) ------------------

def run_measured(cmd, logfile):
    """Runs cmd in ROOT with its output to logfile; (rc, cpu_s, wall_s, peak_mib)."""
    t0 = time.monotonic()
    with open(logfile, "w") as lf:
        try:
            p = subprocess.Popen(cmd, cwd=ROOT, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as e:
            lf.write(f"sweep: cannot run {cmd[0]}: {e}\n")
            return 127, 0.0, 0.0, 0.0
        _, st, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(st)
    return (p.returncode, round(ru.ru_utime + ru.ru_stime, 2), round(time.monotonic() - t0, 2),
            round(ru.ru_maxrss / 1024, 1))


def exec_job(sdir, which):
    sdir = Path(sdir).resolve()
    sw = load(sdir)
    if which == "collect":
        job = {"id": "_collect", "type": "collect", "cmd": sw["collect"], "result": None}
    else:
        try:
            job = sw["jobs"][int(which)]
        except (ValueError, IndexError):
            raise SystemExit(f"sweep: {sdir}/sweep.json has no job {which!r} ({len(sw['jobs'])} jobs)")
    for d in ("logs", "status"):
        (sdir / d).mkdir(parents=True, exist_ok=True)
    sp = status_path(sdir, job["id"])
    sp.unlink(missing_ok=True)
    result = ROOT / job["result"] if job["result"] else None
    if result:
        result.unlink(missing_ok=True)
        result.parent.mkdir(parents=True, exist_ok=True)
    logf = log_path(sdir, job["id"])
    rc, cpu, wall, peak = run_measured(job["cmd"], logf)
    note = None
    if rc == 0 and result and not result.exists():
        rc, note = 1, f"exit 0 but no result file {job['result']}"
        with open(logf, "a") as lf:
            lf.write(f"sweep: {note}\n")
    st = {"id": job["id"], "type": job["type"], "hash": job_hash(job) if result else None, "rc": rc,
          "cpu_s": cpu, "wall_s": wall, "peak_mib": peak, "host": socket.gethostname(),
          "slurm_job": (f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
                        if "SLURM_ARRAY_JOB_ID" in os.environ else os.environ.get("SLURM_JOB_ID")),
          "log": rel(logf)}
    if note:
        st["note"] = note
    tmp = sp.with_suffix(".tmp")
    tmp.write_text(json.dumps(st, indent=1) + "\n")
    tmp.replace(sp)
    return rc


# ---- runners -----------------------------------------------------------------

def failed_report(sdir, sw, idx, sched_logs=None):
    """Prints one line per job of idx that is not done; returns their count.
    sched_logs: job index -> the scheduler's output file of its array task."""
    bad = 0
    for i in idx:
        job = sw["jobs"][i]
        if job_state(sdir, job) == "done":
            continue
        bad += 1
        st = read_status(sdir, job["id"])
        if st is None:
            where = rel(sched_logs[i]) if sched_logs and i in sched_logs else rel(Path(sdir) / "slurm")
            say(f"sweep {sw['name']}: job {job['id']} FAILED: it never finished "
                f"(killed, or past its time limit); log: {where}")
        else:
            say(f"sweep {sw['name']}: job {job['id']} FAILED (exit {st['rc']}"
                + (f", {st['note']}" if st.get("note") else "") + f"); log: {st['log']}")
    return bad


def run_local(sdir, sw, todo, jobs_limit):
    n, total, done, failed = len(todo), len(sw["jobs"]), 0, 0
    started = {}

    def one(i):
        started[i] = time.monotonic()
        return subprocess.run([PY, str(ROOT / "scripts" / "sweep.py"), "exec", str(sdir), str(i)], cwd=ROOT)

    with ThreadPoolExecutor(max_workers=jobs_limit) as ex:
        futs = {ex.submit(one, i): i for i in todo}
        pending = set(futs)
        while pending:
            finished, pending = wait_any(pending, timeout=60, return_when=FIRST_COMPLETED)
            if not finished:  # a heartbeat while long jobs run
                now = time.monotonic()
                say(f"sweep {sw['name']}: running " + ", ".join(
                    f"{sw['jobs'][futs[f]]['id']} ({now - started[futs[f]]:.0f} s)" for f in pending
                    if futs[f] in started and not f.done()))
            for f in finished:
                i = futs[f]
                jid = sw["jobs"][i]["id"]
                st = read_status(sdir, jid) or {}
                ok = f.result().returncode == 0 and st.get("rc") == 0
                done += 1
                failed += 0 if ok else 1
                say(f"sweep {sw['name']}: [{done}/{n}] {jid} {'ok' if ok else 'FAILED'}"
                    f" ({st.get('cpu_s', '?')} s CPU, {st.get('peak_mib', '?')} MiB)"
                    + (f" {failed} failed" if failed else "") + f"  [{total - n + done - failed}/{total} done]")
    return failed


def slurm_env():
    """(command prefix, environment) for the Slurm commands: the private
    cluster while it is up and SLURM_CONF is not set, else as they are."""
    env = dict(os.environ)
    if "SLURM_CONF" not in env:
        f = Path(os.environ.get("TC0C_CLUSTER_DIR") or ROOT / "build" / "cluster", "env.json")
        try:
            c = json.loads(f.read_text())
            os.kill(int(c["netns_pid"]), 0)
        except (OSError, ValueError, KeyError):
            return [], env
        env["SLURM_CONF"] = c["SLURM_CONF"]
        return ["nsenter", f"--net=/proc/{c['netns_pid']}/ns/net", "--"], env
    return [], env


def slurm(prefix, env, args, check=True):
    try:
        p = subprocess.run(prefix + args, capture_output=True, text=True, env=env, cwd=ROOT)
    except OSError as e:
        raise SystemExit(f"sweep: cannot run {args[0]}: {e} (a Slurm login node, or scripts/cluster.sh start)")
    if check and p.returncode != 0:
        raise SystemExit(f"sweep: {' '.join(args[:1] + args[1:4])} ... failed: {p.stderr.strip()}")
    return p.stdout.strip()


def array_spec(idx, limit):
    """0,1,2,5 -> '0-2,5' (with %limit)"""
    parts, start = [], None
    for k, i in enumerate(idx):
        if start is None:
            start = i
        if k + 1 == len(idx) or idx[k + 1] != i + 1:
            parts.append(str(start) if start == i else f"{start}-{i}")
            start = None
    return ",".join(parts) + (f"%{limit}" if limit else "")


def run_slurm(sdir, sw, todo, jobs_limit, wait):
    prefix, env = slurm_env()
    if prefix:
        say(f"sweep {sw['name']}: using the private cluster of scripts/cluster.sh ({rel(Path(env['SLURM_CONF']).parent.parent)})")
    sl = Path(sdir) / "slurm"
    sl.mkdir(parents=True, exist_ok=True)
    task = sl / "task.sh"
    task.write_text("#!/bin/bash\n# one array task = one job of the sweep (scripts/sweep.py)\n"
                    f"exec {shlex.quote(PY)} {shlex.quote(str(ROOT / 'scripts' / 'sweep.py'))} exec "
                    f"{shlex.quote(str(sdir))} \"${{1:-$SLURM_ARRAY_TASK_ID}}\"\n")
    task.chmod(0o755)
    extra = shlex.split(os.environ.get("SWEEP_SBATCH", ""))
    # tasks an earlier run (--no-wait, or interrupted) left queued or running
    # are waited for, not submitted again; its collector is replaced
    qf = sl / "queued.json"
    queued = json.loads(qf.read_text()) if qf.exists() else {"tasks": {}, "collect": None}
    active = set()
    if queued["tasks"] or queued["collect"]:
        arrays = sorted({t.split("_")[0] for t in queued["tasks"].values()})
        q = slurm(prefix, env, ["squeue", "-h", "-r", "-j", ",".join(arrays + ([queued["collect"]] if queued["collect"]
                                                                            else [])), "-o", "%i"], check=False)
        active = set(q.split())
        if queued["collect"] in active:
            slurm(prefix, env, ["scancel", queued["collect"]], check=False)
    inflight = {int(i): t for i, t in queued["tasks"].items() if t in active and int(i) in todo}
    if inflight:
        say(f"sweep {sw['name']}: {len(inflight)} jobs still queued or running from an earlier submission "
            f"({', '.join(sorted({t.split('_')[0] for t in inflight.values()}))}): waiting for them")
    todo_new = [i for i in todo if i not in inflight]
    groups = {}
    for i in todo_new:
        groups.setdefault(sw["jobs"][i]["type"], []).append(i)
    ids, sched_logs = sorted({t.split("_")[0] for t in inflight.values()}), {}
    tasks = dict(inflight)
    for typ, idx in groups.items():
        r = dict(DEFAULT_RESOURCES)
        r.update(sw["resources"].get(typ, {}))
        args = ["sbatch", "--parsable", f"--job-name=tc0c-{sw['name']}-{typ}", f"--array={array_spec(idx, jobs_limit)}",
                f"--chdir={ROOT}", f"--output={sl}/%x-%A_%a.out", "--cpus-per-task=1", f"--mem={r['mem_mib']}",
                f"--time={r['time_min']}"] + extra + [str(task)]
        jid = slurm(prefix, env, args).split(";")[0]
        ids.append(jid)
        for i in idx:
            sched_logs[i] = sl / f"tc0c-{sw['name']}-{typ}-{jid}_{i}.out"
            tasks[i] = f"{jid}_{i}"
        say(f"sweep {sw['name']}: submitted {len(idx)} {typ} jobs as array {jid} "
            f"(--array={array_spec(idx, jobs_limit)} --mem={r['mem_mib']}M --time={r['time_min']})")
    cid = None
    if sw.get("collect"):
        ctask = sl / "collect.sh"
        ctask.write_text(f"#!/bin/bash\nexec {shlex.quote(str(task))} collect\n")
        ctask.chmod(0o755)
        args = ["sbatch", "--parsable", f"--job-name=tc0c-{sw['name']}-collect", f"--chdir={ROOT}",
                f"--output={sl}/%x-%j.out", "--cpus-per-task=1", "--mem=1024", "--time=30"]
        if tasks:
            # on the array tasks of this sweep's jobs, not whole arrays: an
            # earlier array may hold a failed task that was resubmitted
            dep = ":".join([tasks[i] for i in sorted(tasks)] if inflight else ids)
            args += [f"--dependency=afterok:{dep}", "--kill-on-invalid-dep=yes"]
        cid = slurm(prefix, env, args + extra + [str(ctask)]).split(";")[0]
        ids.append(cid)
        say(f"sweep {sw['name']}: collector {cid}" + (f" after {','.join(ids[:-1])} (afterok)" if len(ids) > 1 else ""))
    qf.write_text(json.dumps({"tasks": {str(i): t for i, t in tasks.items()}, "collect": cid}) + "\n")
    if not wait:
        say(f"sweep {sw['name']}: not waiting; `scripts/sweep.py status {rel(sdir)}` shows progress")
        return 0, cid
    last, t0, errors = None, time.monotonic(), 0
    try:
        while True:
            p = subprocess.run(prefix + ["squeue", "-h", "-r", "-j", ",".join(ids), "-o", "%i %T"],
                               capture_output=True, text=True, env=env, cwd=ROOT)
            if p.returncode != 0:  # slurmctld busy or restarting: try again, for a while
                errors += 1
                if errors >= 20:
                    raise SystemExit(f"sweep {sw['name']}: squeue keeps failing ({p.stderr.strip()}); the jobs "
                                     f"({' '.join(ids)}) may still run: re-run the same command later")
                time.sleep(3)
                continue
            errors = 0
            rows = [ln.split() for ln in p.stdout.splitlines() if len(ln.split()) == 2]
            states = [st for i, st in rows if i != cid]
            done = sum(1 for i in todo if job_state(sdir, sw["jobs"][i]) == "done")
            line = (f"{done}/{len(todo)} done, {states.count('RUNNING')} running, "
                    f"{states.count('PENDING')} pending"
                    + "".join(f", collector {st.lower()}" for i, st in rows if i == cid))
            if line != last:
                say(f"sweep {sw['name']}: squeue: {line} ({time.monotonic() - t0:.0f} s)")
                last = line
            if not rows:
                break
            el = time.monotonic() - t0
            time.sleep(1 if el < 60 else 5 if el < 600 else 30)
    except KeyboardInterrupt:
        slurm(prefix, env, ["scancel"] + ids, check=False)
        raise SystemExit(f"sweep {sw['name']}: interrupted; cancelled {' '.join(ids)}")
    return failed_report(sdir, sw, todo, sched_logs), cid


def run(sdir, runner="local", jobs_limit=None, force=False, wait=True):
    """Runs the jobs of DIR/sweep.json that are not done, then the collector;
    returns an exit code (0: every job done and the collector succeeded)."""
    sdir = Path(sdir).resolve()
    sw = load(sdir)
    if force:
        for j in sw["jobs"]:
            status_path(sdir, j["id"]).unlink(missing_ok=True)
    states = [job_state(sdir, j) for j in sw["jobs"]]
    todo = [i for i, s in enumerate(states) if s != "done"]
    say(f"sweep {sw['name']}: {len(sw['jobs'])} jobs, {len(sw['jobs']) - len(todo)} done, "
        f"{len(todo)} to run ({states.count('failed')} failed before, {states.count('missing')} new or changed) "
        f"with RUNNER={runner}; "
        f"logs in {rel(sdir / 'logs')}")
    cs = status_path(sdir, "_collect")
    cs.unlink(missing_ok=True)
    if runner == "local":
        failed = run_local(sdir, sw, todo, jobs_limit or os.cpu_count() or 1) if todo else 0
        failed = failed_report(sdir, sw, todo) if failed else 0
        if not failed and sw.get("collect"):
            exec_job(sdir, "collect")
    elif runner == "slurm":
        failed, cid = run_slurm(sdir, sw, todo, jobs_limit, wait)
        if not wait:
            return 0
    else:
        raise SystemExit(f"sweep: unknown runner {runner!r} (local, slurm)")
    if failed:
        say(f"sweep {sw['name']}: {failed} of {len(todo)} jobs failed; fix and re-run the same command "
            f"(only the jobs not done run again)")
        return 1
    if sw.get("collect"):
        st = read_status(sdir, "_collect")
        log = log_path(sdir, "_collect")
        if log.exists():
            sys.stdout.write(log.read_text())
        if st is None or st["rc"] != 0:
            say(f"sweep {sw['name']}: collector FAILED" + (f" (exit {st['rc']})" if st else " (never ran)")
                + f"; log: {rel(log)}")
            return 1
    say(f"sweep {sw['name']}: all {len(sw['jobs'])} jobs done")
    return 0


# ---- reports -----------------------------------------------------------------

def status_cmd(sdir):
    sw = load(sdir)
    counts = {}
    for j in sw["jobs"]:
        s = job_state(sdir, j)
        counts[s] = counts.get(s, 0) + 1
        st = read_status(sdir, j["id"]) or {}
        print(f"{j['id']:32s} {j['type']:12s} {s:8s} {st.get('cpu_s', '-')!s:>8s} s CPU "
              f"{st.get('peak_mib', '-')!s:>8s} MiB  {st.get('log', '')}")
    print(f"sweep {sw['name']}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0 if counts.get("done", 0) == len(sw["jobs"]) else 1


def costs_cmd(sdirs):
    """per job type: jobs, CPU s (max, total), peak MiB (max), wall s (max)"""
    by = {}
    for sdir in sdirs:
        sw = load(sdir)
        for j in sw["jobs"]:
            st = read_status(sdir, j["id"])
            if st and st.get("rc") == 0:
                by.setdefault((sw["name"], j["type"]), []).append(st)
    print("| sweep | job type | jobs | CPU s max | CPU s total | wall s max | peak RSS MiB max |")
    print("|---|---|---|---|---|---|---|")
    for (name, typ), L in sorted(by.items()):
        print(f"| {name} | {typ} | {len(L)} | {max(s['cpu_s'] for s in L):.2f} | "
              f"{sum(s['cpu_s'] for s in L):.2f} | {max(s['wall_s'] for s in L):.2f} | "
              f"{max(s['peak_mib'] for s in L):.1f} |")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the jobs not done, then the collector")
    r.add_argument("dir")
    r.add_argument("--runner", default=os.environ.get("RUNNER") or "local", choices=["local", "slurm"])
    r.add_argument("-j", "--jobs", type=int, default=None,
                   help="jobs at a time (local: default the CPU count; slurm: array throttle %%N)")
    r.add_argument("--force", action="store_true", help="run every job again")
    r.add_argument("--no-wait", action="store_true", help="slurm: submit and return")
    s = sub.add_parser("status", help="state of every job")
    s.add_argument("dir")
    c = sub.add_parser("costs", help="CPU time and peak memory per job type (Markdown)")
    c.add_argument("dirs", nargs="+")
    e = sub.add_parser("exec", help="run one job (what an array task runs)")
    e.add_argument("dir")
    e.add_argument("which", help="job index, or 'collect'")
    a = ap.parse_args()
    if a.cmd == "run":
        return run(a.dir, a.runner, a.jobs, a.force, not a.no_wait)
    if a.cmd == "status":
        return status_cmd(a.dir)
    if a.cmd == "costs":
        return costs_cmd(a.dirs)
    return exec_job(a.dir, a.which)


if __name__ == "__main__":
    sys.exit(main())
