#!/usr/bin/env bash
# typical model (a) (p 8, d_model 8, 2 layers, softmax; models/typical/)
# at n = 4 in Verilator: its 126k-gate netlist, built split and at -O0 by
# sim/sim.sh, must match the reference on 16 random strings (issue 13:
# "make sim passes at n = 4 for (a) in Verilator"; about 4 CPU minutes and
# 1.3 GB, so it is a suite of its own that tests/run.sh starts early).
# Icarus on a short vector file is in tests/typical.sh.  With the sanitizer
# binary: the netlist it writes for the same model and n must be
# byte-identical to build/tc0c's, which is the one simulated.
# usage: tests/sim_typical.sh TC0C_BINARY
# Ends with "sim_typical: N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
T=${1:-build/tc0c}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
M=models/typical/a.json

if [[ $T == *asan* ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$T" compile "$M" -n 4 -o "$tmp/asan" --quiet >"$tmp/asan.log" 2>&1 && ok || bad "$T compile $M -n 4: $(tail -n 3 "$tmp/asan.log")"
  build/tc0c compile "$M" -n 4 -o "$tmp/plain" --quiet >/dev/null 2>&1 && ok || bad "build/tc0c compile $M -n 4 failed"
  v1=$(ls "$tmp/asan"/*.v 2>/dev/null | head -n 1) v2=$(ls "$tmp/plain"/*.v 2>/dev/null | head -n 1)
  [ -n "$v1" ] && [ -n "$v2" ] && cmp -s "$v1" "$v2" && ok || bad "the sanitizer build's netlist of $M n = 4 differs from build/tc0c's"
else
  command -v verilator >/dev/null || bad "verilator is not installed (make deps)"
  out=$(TC0C=$T VECTORS=16 TRACE=0 SIM_DIR=build/sim/typical_a_n4_verilator sim/sim.sh "$M" 4 0 verilator thr 2>&1)
  echo "$out" | tail -n 3
  case $out in *"verilator: PASS  16 vectors checked, 0 mismatches"*) ok ;; *) bad "Verilator typical a n = 4: $(echo "$out" | tail -n 5)" ;; esac
fi
echo "sim_typical: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
