#!/usr/bin/env bash
# Compile figures of the typical and example models at n = 8..64 (gates,
# wires, edges, depth, deepest layer, estimate/built, seconds, peak RSS):
# bench/bench_typical.py.  Needs build/tc0c.
set -eu
cd "$(dirname "$0")/.."
exec python3 bench/bench_typical.py "$@"
