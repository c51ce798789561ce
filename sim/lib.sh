# shellcheck shell=bash
# lib.sh - shell functions shared by sim/sim.sh, tests/sim.sh and
# bench/bench_sim.sh (source it from the repository root).
#
#   sim_prepare MODEL N K GATES DIR   compile into DIR (files rewritten only
#                                     when they change, so builds are
#                                     reused); writes DIR/design.cfg with
#                                     TOP, LATENCY, GATES, NI, NO
#   sim_vectors MODEL N FILE [COUNT [SEED]]
#                                     reference vectors: exhaustive when
#                                     |vocab|^N <= 4096 (COUNT "auto", the
#                                     default), else COUNT random (1000)
#   sim_build_verilator DIR... [-- MAKE-ARGS]  one make -j2 over sim/verilator.mk
#   sim_run_verilator DIR FILE [+ARGS] run DIR/vtb on FILE
#   sim_run_icarus DIR FILE [+ARGS]   build DIR/itb.vvp for FILE and run it
# The run functions print the harness output and return its status, made
# non-zero also when the "result: PASS" line is missing (vvp 11 may exit 0
# after a failure).  Set TC0C (default build/tc0c), JOBS (2), TRACE (1).

TC0C=${TC0C:-build/tc0c}
JOBS=${JOBS:-2}
TRACE=${TRACE:-1}
SIM_LOG=${SIM_LOG:-/dev/null}

# number of tokens in the vocabulary of MODEL (one character each)
sim_vocab_size() {
  local v
  v=$("$TC0C" check "$1" | sed -n 's/^ *vocab {\(.*\)}, .*/\1/p; s/^ *vocab {\(.*\)}$/\1/p' | head -n 1)
  echo $(((${#v} + 1) / 2))
}

# the value of a numeric key in a stats JSON file
sim_json_num() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([0-9]*\).*/\1/p" "$1" | head -n 1; }

# replace DST by SRC only when they differ (keeps timestamps for make)
sim_update() {
  if cmp -s "$1" "$2"; then rm -f "$1"; else mv -f "$1" "$2"; fi
}

sim_prepare() { # MODEL N K GATES DIR
  local model=$1 n=$2 k=$3 gates=$4 dir=$5 f top stats
  mkdir -p "$dir/new"
  rm -f "$dir/new/"*
  if ! "$TC0C" compile "$model" -n "$n" -o "$dir/new" --gates "$gates" --pipeline "$k" --quiet \
    >"$dir/compile.log" 2>&1; then
    echo "sim: $TC0C compile $model -n $n --gates $gates --pipeline $k failed:" >&2
    sed 's/^/  /' "$dir/compile.log" >&2
    return 1
  fi
  for f in "$dir/new/"*; do sim_update "$f" "$dir/$(basename "$f")"; done
  rmdir "$dir/new"
  stats=("$dir"/*_n"$n".stats.json)
  f=${stats[0]}
  top=$(basename "$f" .stats.json)
  {
    echo "TOP=$top"
    echo "LATENCY=$(sim_json_num "$f" latency)"
    echo "GATES=$gates"
    local ni; ni=$(sim_json_num "$f" inputs)
    echo "NI=$((ni > 0 ? ni : 1))" # the port width: a one-symbol vocabulary has a 1-bit placeholder
    echo "NO=$(sim_json_num "$f" outputs)"
    echo "NGATES=$(sim_json_num "$f" gates)"
  } >"$dir/design.cfg.new"
  sim_update "$dir/design.cfg.new" "$dir/design.cfg"
}

sim_vectors() { # MODEL N FILE [COUNT|auto [SEED]]
  local model=$1 n=$2 file=$3 count=${4:-auto} seed=${5:-1} v
  if [ "$count" = auto ]; then
    v=$(sim_vocab_size "$model")
    if awk -v v="$v" -v n="$n" 'BEGIN { exit !(n * log(v) <= log(4096) + 1e-9) }'; then
      count=exhaustive
    else
      count=1000
    fi
  fi
  if [ "$count" = exhaustive ]; then
    "$TC0C" vectors "$model" -n "$n" -o "$file" --exhaustive 2>>"$SIM_LOG"
  else
    "$TC0C" vectors "$model" -n "$n" -o "$file" --random "$count" --seed "$seed" 2>>"$SIM_LOG"
  fi
}

# Verilator builds take build/sim/verilator.lock: concurrent runs (two test
# suites in one tree) must not build the shared run-time library twice.
sim_build_verilator() { # DIR... [-- MAKE-ARGS...]
  local t=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do t+=("$1/vtb"); shift; done
  [ $# -gt 0 ] && shift
  mkdir -p build/sim
  flock build/sim/verilator.lock \
    make --no-print-directory -s -f sim/verilator.mk -j"$JOBS" TRACE="$TRACE" JOBS="$JOBS" "$@" "${t[@]}"
}

# the harness prints "result: PASS ..."; anything else is a failure
sim_check_result() { # LOG RC
  grep -q '^result: PASS ' "$1" && [ "$2" -eq 0 ]
}

# Runs a harness command, shows its output, and judges it by its summary line.
sim_run_checked() { # COMMAND...
  local log rc
  log=$(mktemp)
  "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  sim_check_result "$log" $rc
  rc=$?
  rm -f "$log"
  return $rc
}

sim_run_verilator() { # DIR FILE [+ARGS...]
  local dir=$1 file=$2
  shift 2
  sim_run_checked "$dir/vtb" +vectors="$file" +verilator+rand+reset+2 +verilator+seed+7 "$@"
}

sim_run_icarus() { # DIR FILE [+ARGS...]
  local dir=$1 file=$2 nv nchr rtl=() pipe=()
  shift 2
  # TOP, LATENCY, GATES, NI, NO from design.cfg
  # shellcheck disable=SC1091,SC2153
  (
    . "$dir/design.cfg"
    nv=$(grep -vc '^#' "$file")
    nchr=$(awk '!/^#/ { print length($0); exit }' "$file") # the string is shorter
    [ "$GATES" = thr ] || rtl=(rtl/tc0c_thr.v rtl/tc0c_mthr.v rtl/tc0c_maj.v)
    [ "$LATENCY" -gt 0 ] && pipe=(-DPIPELINED)
    iverilog -g2005 -Wall -Wno-timescale -o "$dir/itb.vvp" -DTOP="$TOP" -DTOPNAME="\"$TOP\"" \
      -DNI="$NI" -DNO="$NO" -DNVEC="$((nv > 0 ? nv : 1))" -DNCHR="$nchr" -DLATENCY="$LATENCY" \
      "${pipe[@]}" sim/tb_icarus.v "$dir/$TOP.v" "${rtl[@]}"
  ) || return 1
  sim_run_checked vvp -n "$dir/itb.vvp" +vectors="$file" "$@"
}
