#!/usr/bin/env bash
# Runs every test of tc0c: the C test programs (normal and sanitizer
# builds), the bad-model corpus and the command-line checks (tests/*.sh),
# each against build/tc0c and build/asan/tc0c, and the clang sanitizer
# build (build/clang-asan/) on the C tests and the input-hardening suites.  Prints one line per suite
# and a final "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0 failed=0 failed_suites=()
run_suite() { # name command...
  local name=$1; shift
  local log="build/tests/logs/${name//\//-}.log"
  mkdir -p build/tests/logs
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local line p f
  line=$(grep -E '^[A-Za-z0-9_./-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p'); p=${p:-0}
  f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p'); f=${f:-0}
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-28s %6d passed %4d failed  %4ds\n' "$name" "$p" "$f" $((SECONDS - t0))
  if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then
    failed_suites+=("$name")
    sed 's/^/    /' "$log" | grep -v ' passed, ' | head -n 30
  fi
}

for t in build/tests/test_*; do
  run_suite "$(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
  run_suite "asan/$(basename "$t")" "$t"
done
for s in tests/*.sh; do
  [ "$s" = tests/run.sh ] && continue
  name=$(basename "$s" .sh)
  run_suite "$name" bash "$s" build/tc0c
  run_suite "asan/$name" bash "$s" build/asan/tc0c
done
# clang's sanitizers (built by make test when clang is installed): every C
# test and the suites that feed tc0c hostile or unusual input.
if [ -x build/clang-asan/tc0c ]; then
  for t in build/clang-asan/tests/test_*; do
    [ -x "$t" ] && run_suite "clang-asan/$(basename "$t")" "$t"
  done
  for name in bad_models cli json_corpus fuzz compile; do
    [ -f "tests/$name.sh" ] && run_suite "clang-asan/$name" bash "tests/$name.sh" build/clang-asan/tc0c
  done
else
  echo "(clang not installed: no clang sanitizer runs; scripts/install-deps.sh installs it)"
fi

echo
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
