#!/usr/bin/env bash
# The bounded slice of `make difftest` in `make test`: tests/difftest.py on
# 200 random models (seed 12; 100 and no simulator runs with a sanitizer
# build), size guard 20000 gates.  docs/testing.md.
# usage: tests/difftest.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
case "$T" in
  *asan*) exec python3 tests/difftest.py --tc0c "$T" --models 100 --seed 12 --max-gates 20000 --sim-every 0 ;;
  *) exec python3 tests/difftest.py --tc0c "$T" --models 200 --seed 12 --max-gates 20000 --sim-every 100 ;;
esac
