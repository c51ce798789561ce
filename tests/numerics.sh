#!/usr/bin/env bash
# The numerics contract, checked from the page: tests/numerics_eval.py is an
# evaluator written from docs/numerics.md alone.  On random models that use
# layer norms (pre, post, final), the max-subtracted softmax and the
# length-relative position terms (and every older operation) it must agree
# with `tc0c run --trace` on every traced vector, and `tc0c verify` must
# pass (circuit = reference on every string) at n = 1..4.
# usage: tests/numerics.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
case "$T" in
  *asan*) exec python3 tests/numerics_eval.py "$T" --models 10 --seed 7 --verify ;;
  *) exec python3 tests/numerics_eval.py "$T" --models 48 --seed 15 --verify ;;
esac
