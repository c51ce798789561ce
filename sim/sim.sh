#!/usr/bin/env bash
# Simulates one compiled netlist against the reference model:
#   sim/sim.sh MODEL N [PIPELINE] [SIM] [GATES]
# PIPELINE: a register stage every K threshold levels (0: combinational,
# the default); SIM: verilator (default) or icarus; GATES: thr (default),
# cells or maj.  Compiles with $TC0C (build/tc0c) into
# build/sim/<model>_n<N>_<gates>_k<K>/ (or $SIM_DIR), writes reference vectors there
# (exhaustive when |vocab|^N <= 4096, else 1000 random strings, seed
# $SEED, default 1; VECTORS=K asks for K random strings instead),
# builds the harness (sim/tb.cpp or sim/tb_icarus.v),
# runs it and prints one summary line.  Extra plusargs for the harness go
# in $SIMARGS, e.g. SIMARGS=+vcd=build/sim/wave.vcd.  `make sim MODEL=...
# N=... PIPELINE=... SIM=... GATES=...` runs it.  docs/simulation.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [ $# -lt 2 ]; then
  echo "usage: sim/sim.sh MODEL N [PIPELINE] [verilator|icarus] [thr|cells|maj]" >&2
  exit 1
fi
MODEL=$1 N=$2 K=${3:-0} SIM=${4:-verilator} GATES=${5:-thr}
SEED=${SEED:-1} SIMARGS=${SIMARGS:-} VECTORS=${VECTORS:-auto}
case $SIM in verilator | icarus) ;; *) echo "sim: SIM must be verilator or icarus, not '$SIM'" >&2; exit 1 ;; esac
case $GATES in thr | cells | maj) ;; *) echo "sim: GATES must be thr, cells or maj, not '$GATES'" >&2; exit 1 ;; esac
# shellcheck source=sim/lib.sh
. sim/lib.sh
[ -x "$TC0C" ] || { echo "sim: $TC0C is missing: run make" >&2; exit 1; }
command -v "$SIM" >/dev/null || [ "$SIM" = icarus ] || { echo "sim: $SIM is not installed (make deps)" >&2; exit 1; }
[ "$SIM" = verilator ] || command -v iverilog >/dev/null || { echo "sim: iverilog is not installed (make deps)" >&2; exit 1; }

name=$(basename "$MODEL" .json)
dir=${SIM_DIR:-build/sim/${name}_n${N}_${GATES}_k${K}}
sim_prepare "$MODEL" "$N" "$K" "$GATES" "$dir" || exit 1
SIM_LOG=$dir/vectors.log sim_vectors "$MODEL" "$N" "$dir/vectors.txt" "$VECTORS" "$SEED" || {
  echo "sim: $TC0C vectors failed" >&2; exit 1; }
# TOP, LATENCY, GATES, NI, NO, NGATES
# shellcheck disable=SC1091
. "$dir/design.cfg"

# A big design (more than 50,000 gates) is verilated into split files and
# compiled at -O0 (sim/verilator.mk UNITY=0, OPT=-O0): typical model (a) at
# n = 4, 126k gates, then builds in about 4 CPU minutes and 1.3 GB, where
# one -O1 unit ran past 10 minutes and 4.4 GB (docs/simulation.md).
if [ "${NGATES:-0}" -gt 50000 ]; then
  export UNITY=${UNITY:-0} OPT=${OPT:--O0}
fi
t0=$(date +%s.%N)
if [ "$SIM" = verilator ]; then
  sim_build_verilator "$dir" >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; echo "sim: verilator build failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  # shellcheck disable=SC2086
  sim_run_verilator "$dir" "$dir/vectors.txt" $SIMARGS >"$dir/run.log" 2>&1
else
  t1=$t0
  # shellcheck disable=SC2086
  sim_run_icarus "$dir" "$dir/vectors.txt" $SIMARGS >"$dir/run.log" 2>&1
fi
rc=$?
t2=$(date +%s.%N)
grep -vE '^(result|sim_seconds|sim_evaluations): ' "$dir/run.log" | head -n 40
res=$(grep '^result: ' "$dir/run.log" | tail -n 1 | sed 's/^result: //')
[ -n "$res" ] || res="FAIL (no result line; see $dir/run.log)"
[ $rc -eq 0 ] || case $res in PASS*) res="FAIL (exit status $rc) $res" ;; esac
lat=combinational
[ "$LATENCY" -gt 0 ] && lat="K=$K, latency $LATENCY"
if [ "$SIM" = verilator ]; then
  times=$(awk "BEGIN { printf \"build %.1fs, run %.1fs\", $t1 - $t0, $t2 - $t1 }")
else
  times=$(awk "BEGIN { printf \"iverilog+vvp %.1fs\", $t2 - $t0 }")
fi
# shellcheck disable=SC2153
printf 'sim: %s n=%d %s %s (%d gates), %s: %s (%s)\n' "$name" "$N" "$GATES" "$lat" "$NGATES" "$SIM" "$res" "$times"
exit $rc
