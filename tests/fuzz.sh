#!/usr/bin/env bash
# Replays the fuzzing corpus tests/fuzz/<job>/ (every crash or hang `make
# fuzz` found, and a sample of each campaign's queue) through the harness
# (tests/fuzz/harness.c) built next to TC0C_BINARY, e.g. build/asan/
# fuzz_harness for build/asan/tc0c: exit 0, 2 (invalid model) or 4 (size
# guard) only, within 20 s, and no sanitizer report.  Also every file of
# tests/fuzz/compile/ through `tc0c compile` and `tc0c check`.
# usage: tests/fuzz.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
H=$(dirname "$T")/fuzz_harness
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$H" ] || { echo "fuzz: $H missing (make $H)"; echo "fuzz: 0 passed, 1 failed"; exit 1; }

clean() { # what rc stderr_file
  case "$2" in 0 | 2 | 4) ;; *) bad "$1: exit $2: $(head -c 400 "$3")"; return ;; esac
  if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$3"; then
    bad "$1: sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$3")"; return
  fi
  ok
}

n=0
for job in check run compile; do
  for f in tests/fuzz/$job/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    timeout 20 "$H" "$job" "$f" >/dev/null 2>"$tmp/err"
    clean "$H $job $f" $? "$tmp/err"
  done
done
for f in tests/fuzz/compile/*; do
  [ -f "$f" ] || continue
  timeout 20 "$T" compile "$f" -n 2 --quiet --max-gates 20000 -o "$tmp/out" >/dev/null 2>"$tmp/err"
  clean "$T compile $f" $? "$tmp/err"
done
[ "$n" -ge 1 ] || bad "no files in tests/fuzz/*/"

echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
