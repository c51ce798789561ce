#!/usr/bin/env bash
# `make fuzz`: AFL++ campaigns on the three jobs of tests/fuzz/harness.c
# (check, run, compile), side by side under nice -n 19, SECONDS each
# (default 1800).  Seeds: models/*.json, tests/bad/*.json, tests/json/*.json
# and the committed tests/fuzz/*/ files; dictionary tests/fuzz/tc0c.dict.
# Output: build/fuzz/<job>/default/ (queue, crashes, hangs, fuzzer_stats);
# at the end one line of statistics per job.  docs/testing.md says how a
# crash or hang becomes a file in tests/fuzz/<job>/ that `make test` replays.
# usage: tests/fuzz/fuzz.sh [SECONDS] [JOBS...]
set -u
cd "$(dirname "$0")/../.."
secs=${1:-1800}; shift || true
jobs=("$@"); [ ${#jobs[@]} -gt 0 ] || jobs=(check run compile)
H=build/afl/fuzz_harness
[ -x "$H" ] || { echo "fuzz.sh: $H missing (make build/afl/fuzz_harness)"; exit 1; }
command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz missing (scripts/install-deps.sh installs afl++)"; exit 1; }
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_SKIP_CRASHES=1 AFL_IGNORE_SEED_PROBLEMS=1

seeds=build/fuzz/seeds
rm -rf "$seeds"; mkdir -p "$seeds"
for f in models/*.json tests/bad/*.json tests/json/*.json tests/fuzz/*/*; do
  [ -f "$f" ] || continue
  case "$f" in *.c | *.sh | *.dict | *.md) continue ;; esac
  [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$seeds/$(echo "$f" | tr / _)"
done
echo "fuzz.sh: $(ls "$seeds" | wc -l) seeds, ${secs}s per job: ${jobs[*]}"

pids=()
for j in "${jobs[@]}"; do
  out=build/fuzz/$j
  rm -rf "$out"; mkdir -p "$out"
  nice -n 19 afl-fuzz -i "$seeds" -o "$out" -x tests/fuzz/tc0c.dict -t 5000 -V "$secs" -- "$H" "$j" @@ \
    >"$out.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

rc=0
for j in "${jobs[@]}"; do
  s=build/fuzz/$j/default/fuzzer_stats
  if [ ! -f "$s" ]; then echo "$j: no fuzzer_stats (see build/fuzz/$j.log)"; rc=1; continue; fi
  get() { sed -n "s/^$1 *: *//p" "$s"; }
  crashes=$(ls build/fuzz/$j/default/crashes 2>/dev/null | grep -vc README)
  hangs=$(ls build/fuzz/$j/default/hangs 2>/dev/null | grep -vc README)
  echo "$j: run_time $(get run_time)s execs_done $(get execs_done) execs_per_sec $(get execs_per_sec)" \
    "corpus_count $(get corpus_count) edges_found $(get edges_found)/$(get total_edges)" \
    "saved_crashes $crashes saved_hangs $hangs"
  [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ] || rc=1
done
exit $rc
