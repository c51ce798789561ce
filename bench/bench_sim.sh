#!/usr/bin/env bash
# Simulation throughput on one netlist of more than 10^4 threshold gates:
# bench/models/bench4.json at n = 72 (about 12,000 gates, 263,000 edges,
# 144 input and 144 output bits), combinational, thr style, the same 1000
# random reference vectors for every simulator:
#   ceval      the C evaluator (compiler/eval.c, 64 vectors per call) run
#              by sim/ceval.c, repeated for at least 1 s of CPU time
#   verilator  sim/tb.cpp; the build (verilate, C++ -O1, --output-split,
#              2 jobs, the run-time library prebuilt) is timed too
#   icarus     sim/tb_icarus.v on the first 1 and the first 4 vectors; the
#              difference gives the time per vector (loading the netlist
#              alone takes ~10 s)
# Figures (bench/run.sh collects them): vectors per second of CPU time for
# each, the Verilator build's wall and CPU seconds, and the ratios.  Every
# run must also match the reference.  Needs build/tc0c and build/obj
# (make), verilator and iverilog.  Takes about 3 minutes on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=sim/lib.sh
. sim/lib.sh
TC0C=build/tc0c
MODEL=bench/models/bench4.json
N=72
d=build/sim/bench/bench4_n${N}_thr_k0
sim_prepare "$MODEL" "$N" 0 thr "$d"
# shellcheck disable=SC1091
. "$d/design.cfg"
sim_vectors "$MODEL" "$N" "$d/v1000.txt" 1000 1
for k in 1 4; do awk -v k=$k '/^#/ { print; next } k-- > 0' "$d/v1000.txt" >"$d/v$k.txt"; done
echo "sim_gates: $NGATES gates"
edges=$(sim_json_num "$d/$TOP.stats.json" edges)
echo "sim_edges: $edges edges"

cpu() { # FILE written by /usr/bin/time -f "%e %U %S": wall, user+sys
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$1"
}
need() { grep -q '^result: PASS ' "$1" || { echo "bench_sim: $2 does not match the reference:" >&2; cat "$1" >&2; exit 1; }; }
num() { sed -n "s/^$2: \([0-9.]*\) .*/\1/p" "$1" | head -n 1; }

# ---- C evaluator
objs=()
for src in compiler/*.c; do
  [ "$src" = compiler/main.c ] || objs+=("build/obj/$(basename "$src" .c).o")
done
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -Wall -Wextra -Werror -O2 -g $(pkg-config --cflags libcjson 2>/dev/null) \
  -D_POSIX_C_SOURCE=200809L -Icompiler sim/ceval.c "${objs[@]}" -o build/sim/ceval \
  $(pkg-config --libs libcjson 2>/dev/null || echo -lcjson) -lm
build/sim/ceval "$MODEL" "$N" "$d/v1000.txt" 1.0 >"$d/ceval.log"
need "$d/ceval.log" "the C evaluator"
ceval_vps=$(awk -v s="$(num "$d/ceval.log" ceval_seconds)" -v v="$(num "$d/ceval.log" ceval_vectors)" \
  'BEGIN { printf "%.1f", v / s }')
echo "sim_ceval_vectors_per_s: $ceval_vps vectors/s"

# ---- Verilator: build (timed from scratch but for the shared library), run
rm -f "$d/vtb"
mkdir -p build/sim # the shared run-time library first, untimed
flock build/sim/verilator.lock make -s -f sim/verilator.mk -j"$JOBS" vlib >/dev/null
/usr/bin/time -f "%e %U %S" -o "$d/build.time" \
  env TRACE=0 bash -c ". sim/lib.sh; sim_build_verilator '$d' -- UNITY=0" >"$d/build.log" 2>&1 ||
  { cat "$d/build.log" >&2; exit 1; }
read -r build_wall build_cpu < <(cpu "$d/build.time")
echo "sim_verilator_build_wall_s: $build_wall s"
echo "sim_verilator_build_cpu_s: $build_cpu s"
sim_run_verilator "$d" "$d/v1000.txt" +repeat=20 >"$d/verilator.log" 2>&1 || true
need "$d/verilator.log" Verilator
vl_vps=$(awk -v s="$(num "$d/verilator.log" sim_seconds)" -v v="$(num "$d/verilator.log" sim_evaluations)" \
  'BEGIN { printf "%.1f", v / s }')
echo "sim_verilator_vectors_per_s: $vl_vps vectors/s"

# ---- Icarus: compile once, run on 1 and on 4 vectors
/usr/bin/time -f "%e %U %S" -o "$d/iverilog.time" iverilog -g2005 -o "$d/itb.vvp" -DTOP="$TOP" \
  -DTOPNAME="\"$TOP\"" -DNI="$NI" -DNO="$NO" -DNVEC=4 -DNCHR="$((N + 1))" sim/tb_icarus.v "$d/$TOP.v"
read -r _ iv_compile < <(cpu "$d/iverilog.time")
echo "sim_icarus_compile_cpu_s: $iv_compile s"
for k in 1 4; do
  /usr/bin/time -f "%e %U %S" -o "$d/icarus$k.time" vvp -n "$d/itb.vvp" +vectors="$d/v$k.txt" >"$d/icarus$k.log" 2>&1 || true
  need "$d/icarus$k.log" "Icarus ($k vectors)"
done
read -r _ t1 < <(cpu "$d/icarus1.time")
read -r _ t4 < <(cpu "$d/icarus4.time")
iv_vps=$(awk -v a="$t1" -v b="$t4" 'BEGIN { d = b - a; if (d < 0.01) d = 0.01; printf "%.3f", 3 / d }')
echo "sim_icarus_load_cpu_s: $t1 s"
echo "sim_icarus_vectors_per_s: $iv_vps vectors/s"

# ---- ratios
awk -v c="$ceval_vps" -v v="$vl_vps" -v i="$iv_vps" -v b="$build_cpu" 'BEGIN {
  printf "sim_ceval_vs_verilator: %.2f ratio\n", c / v
  printf "sim_verilator_vs_icarus: %.0f ratio\n", v / i
  printf "sim_verilator_build_in_ceval_vectors: %.0f vectors\n", b * c
}'
