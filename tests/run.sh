#!/usr/bin/env bash
# Runs every test of tc0c: the C test programs (normal and sanitizer
# builds), the bad-model corpus and the command-line checks (tests/*.sh),
# each against build/tc0c and build/asan/tc0c, and the clang sanitizer
# build (build/clang-asan/) on the C tests and the input-hardening suites.
# Suites run TEST_JOBS at a time (default: one per CPU; TEST_JOBS=1 runs
# them one after another), the known slow ones first; cluster and
# asan/cluster (each starts a private Slurm cluster) never run at the same
# time.  Prints one line per suite, in the fixed order below, as soon as
# it and every suite before it have finished, with the log's excerpt when
# it failed (full logs: build/tests/logs/), then a final
# "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "tests/run.sh: TEST_JOBS must be a positive integer, not '$jobs'" >&2
  exit 2
fi

# ---- the suites, in the order their lines are printed
names=() cmds=()
add() { # name command...
  names+=("$1"); shift
  local IFS=$'\x1f'
  cmds+=("$*")
}
for t in build/tests/test_*; do
  add "$(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
  add "asan/$(basename "$t")" "$t"
done
for s in tests/*.sh; do
  [ "$s" = tests/run.sh ] && continue
  name=$(basename "$s" .sh)
  add "$name" bash "$s" build/tc0c
  add "asan/$name" bash "$s" build/asan/tc0c
done
# clang's sanitizers (built by make test when clang is installed): every C
# test and the suites that feed tc0c hostile or unusual input.
clang_note=""
if [ -x build/clang-asan/tc0c ]; then
  for t in build/clang-asan/tests/test_*; do
    [ -x "$t" ] && add "clang-asan/$(basename "$t")" "$t"
  done
  for name in bad_models cli json_corpus fuzz compile; do
    [ -f "tests/$name.sh" ] && add "clang-asan/$name" bash "tests/$name.sh" build/clang-asan/tc0c
  done
else
  clang_note="(clang not installed: no clang sanitizer runs; scripts/install-deps.sh installs it)"
fi
total=${#names[@]}

# ---- the order they start in: the slow ones first (seconds on an idle
# 2-core machine, run one at a time: sim 258, sim_typical 200, typical 193, refrtl 160,
# cluster 81, asan/trained 80, trained 47, asan/cluster 45, board 39, ...),
# then the rest in the order above
slow=(sim sim_typical typical refrtl cluster asan/trained trained board asan/cluster asan/typical asan/test_lower
  baselines clang-asan/test_lower difftest clang-asan/test_parity_ln asan/compile asan/difftest asan/refrtl
  clang-asan/cli asan/cli asan/test_parity_ln numerics yosys clang-asan/compile)
declare -A index queued
for i in "${!names[@]}"; do index[${names[$i]}]=$i; done
order=()
for n in "${slow[@]}"; do
  [ -n "${index[$n]:-}" ] && [ -z "${queued[$n]:-}" ] && { order+=("${index[$n]}"); queued[$n]=1; }
done
for i in "${!names[@]}"; do
  [ -z "${queued[${names[$i]}]:-}" ] && order+=("$i")
done
# suites that must not overlap: the two cluster runs (every slurmctld,
# slurmd and munged on the machine counts against the check that the
# cluster left nothing running)
group() { case $1 in cluster | */cluster) echo cluster ;; *) echo "" ;; esac; }

logdir=build/tests/logs
state=$(mktemp -d "${TMPDIR:-/tmp}/tc0c-run.XXXXXX")
mkdir -p "$logdir"
# each suite's wall and CPU seconds, for tuning the list of slow suites
times=build/tests/times.txt
echo "# suite wall_s cpu_s ($jobs at a time)" >"$times"
logof() { local n=${names[$1]}; echo "$logdir/${n//\//-}.log"; }

# ---- running: each suite in its own process group (set -m), so that an
# interrupt stops every running suite with its children
set -m
declare -A pid busy
running=()
launch() { # index
  local i=$1 log args
  log=$(logof "$i")
  IFS=$'\x1f' read -r -a args <<<"${cmds[$i]}"
  (
    t0=$SECONDS
    "${args[@]}" >"$log" 2>&1 </dev/null
    rc=$?
    # CPU seconds of the suite's processes (user + system), from `times`
    times >"$state/$i.times"
    cpu=$(awk 'NR == 2 { for (k = 1; k <= 2; k++) { split($k, a, /[ms]/); s += a[1] * 60 + a[2] } }
      END { printf "%.0f", s }' "$state/$i.times")
    echo "$rc $((SECONDS - t0)) $cpu" >"$state/$i.tmp" && mv "$state/$i.tmp" "$state/$i.done"
  ) &
  pid[$i]=$!
  running+=("$i")
  local g
  g=$(group "${names[$i]}")
  [ -n "$g" ] && busy[$g]=$i
}
stop_all() {
  local i
  for i in "${running[@]}"; do kill -TERM -- "-${pid[$i]}" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$state"
  echo "tests/run.sh: interrupted" >&2
  exit 130
}
trap stop_all INT TERM

passed=0 failed=0 failed_suites=()
report() { # index: the suite's line, and its log's excerpt when it failed
  local i=$1 name=${names[$1]} log rc secs line p f
  log=$(logof "$i")
  read -r rc secs cpu <"$state/$i.done"
  printf '%s %s %s\n' "$name" "$secs" "$cpu" >>"$times"
  line=$(grep -E '^[A-Za-z0-9_./-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p'); p=${p:-0}
  f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p'); f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-28s %6d passed %4d failed  %4ds\n' "$name" "$p" "$f" "$secs"
  if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
    failed_suites+=("$name")
    sed 's/^/    /' "$log" | grep -v ' passed, ' | head -n 30
  fi
}

t_start=$SECONDS
next=0    # position in $order of the next suite to start
printed=0 # suites whose line is out (a prefix of the printed order)
declare -A done_
while [ "$printed" -lt "$total" ]; do
  # start suites while a slot is free: the first one in $order whose group is idle
  while [ ${#running[@]} -lt "$jobs" ] && [ "$next" -lt "$total" ]; do
    pick=-1
    for ((k = next; k < total; k++)); do
      i=${order[$k]}
      [ -n "${done_[$i]:-}${pid[$i]:-}" ] && continue
      g=$(group "${names[$i]}")
      if [ -z "$g" ] || [ -z "${busy[$g]:-}" ]; then pick=$i; break; fi
    done
    [ "$pick" -lt 0 ] && break
    launch "$pick"
    # skip the started ones at the front of $order
    while [ "$next" -lt "$total" ] && [ -n "${pid[${order[$next]}]:-}" ]; do next=$((next + 1)); done
  done
  # wait for one to finish (any of them may have: each leaves $state/I.done)
  [ ${#running[@]} -gt 0 ] && wait -n
  still=()
  for i in "${running[@]}"; do
    if [ -f "$state/$i.done" ]; then
      wait "${pid[$i]}" 2>/dev/null
      done_[$i]=1
      g=$(group "${names[$i]}")
      [ -n "$g" ] && [ "${busy[$g]:-}" = "$i" ] && unset "busy[$g]"
    else
      still+=("$i")
    fi
  done
  running=("${still[@]}")
  while [ "$printed" -lt "$total" ] && [ -n "${done_[$printed]:-}" ]; do
    report "$printed"
    printed=$((printed + 1))
  done
done
rm -rf "$state"
[ -n "$clang_note" ] && echo "$clang_note"
echo
sum=$(awk 'NR > 1 { w += $2; c += $3 } END { printf "%d s of suite time, %d CPU s", w, c }' "$times")
echo "($total suites, $jobs at a time, $((SECONDS - t_start)) s wall, $sum; build/tests/times.txt)"
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
