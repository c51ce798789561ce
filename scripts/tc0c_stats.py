"""The one way the Python tools read a circuit's figures: `tc0c compile`
into a scratch folder, then its <name>_n<N>.stats.json (keys: docs/cli.md).
Used by scripts/depth_table.py, scripts/baselines.py and
bench/bench_typical.py."""
import glob
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def compile_stats(tc0c, model, n, tmp, prefix=()):
    """Runs [*prefix, tc0c, compile, model, -n, n, -o, tmp, --quiet] in the
    project root; returns (exit code, stderr, stats dict or None) and
    empties tmp."""
    r = subprocess.run([*prefix, tc0c, "compile", model, "-n", str(n), "-o", tmp, "--quiet"], cwd=ROOT,
                       capture_output=True, text=True)
    paths = glob.glob(os.path.join(tmp, f"*_n{n}.stats.json"))  # named after the model's "name"
    st = None
    if r.returncode == 0 and len(paths) == 1:
        with open(paths[0]) as f:
            st = json.load(f)
    for p in glob.glob(os.path.join(tmp, "*")):
        if os.path.isfile(p):
            os.remove(p)
    return r.returncode, r.stderr, st
