#!/usr/bin/env bash
# Size regressions: the gates, wires, edges and threshold depth of every
# model in models/ and models/typical/ at n = 8 and 16 against the committed
# tests/baselines.json (scripts/baselines.py): depth may not grow, a size
# may grow by at most 5%.  `make baselines` rewrites the file after a
# deliberate change.  It also fails when the size guard's estimated wires
# leave [0.1, 10] x the built wires for any of them (docs/lowering.md,
# "The size guard").  The figures do not depend on the build, so the
# sanitizer run of this suite checks the baseline file's form only.
# usage: tests/baselines.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
cd "$(dirname "$0")/.." || exit 1
case $T in
  *asan*)
    if python3 -c 'import json, sys; d = json.load(open("tests/baselines.json")); sys.exit(not d or any(not isinstance(v, dict) for v in d.values()))'; then
      echo "baselines: 1 passed, 0 failed"
    else
      echo "FAIL: tests/baselines.json is not a map of figures"; echo "baselines: 0 passed, 1 failed"; exit 1
    fi ;;
  *) exec python3 scripts/baselines.py --check --tc0c "$T" ;;
esac
