#!/usr/bin/env bash
# Compile throughput and memory: `tc0c stats` (load, estimate, build,
# sweep, check) on bench/models/bench_softmax.json, the largest example
# configuration here that fits in 4 GiB, at n = 16, 32, 64.  Figures:
# gates per second of wall time, peak RSS bytes per final gate, and their
# ratios to the targets (10^6 gates/s, 200 bytes/gate).  Needs build/tc0c.
set -eu
cd "$(dirname "$0")/.."
T=build/tc0c
M=bench/models/bench_softmax.json
for n in 16 32 64; do
  log=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$log.time" "$T" stats "$M" -n "$n" >"$log"
  gates=$(sed -n 's/.*n=[0-9]*: \([0-9]*\) gates.*/\1/p' "$log" | head -1)
  read -r secs kb <"$log.time"
  rm -f "$log" "$log.time"
  awk -v g="$gates" -v s="$secs" -v kb="$kb" -v n="$n" 'BEGIN {
    if (s < 0.01) s = 0.01
    printf "compile_gates_n%d: %d gates\n", n, g
    printf "compile_seconds_n%d: %.2f s\n", n, s
    printf "compile_gates_per_s_n%d: %.0f gates/s\n", n, g / s
    printf "compile_peak_bytes_per_gate_n%d: %.0f bytes/gate\n", n, kb * 1024 / g
    printf "compile_speed_vs_target_n%d: %.3f ratio\n", n, g / s / 1e6
    printf "compile_memory_vs_target_n%d: %.2f ratio\n", n, kb * 1024 / g / 200
  }'
done
