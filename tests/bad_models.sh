#!/usr/bin/env bash
# The bad-model corpus: every tests/bad/NN-name.json is invalid in one way,
# and tests/bad/NN-name.expect holds a substring its error message must
# contain.  For each, `tc0c check` must exit with exactly 2, print an error
# that starts with the file name and contains the expected text, and raise
# no sanitizer report.  One more model, with a NUL byte, is made here (the
# corpus commits no binary files).
# usage: tests/bad_models.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_bad() { # model expected_substring
  local f=$1 want=$2
  "$T" check "$f" >"$tmp/out" 2>"$tmp/err"
  local rc=$? err
  err=$(<"$tmp/err")
  if [ "$rc" -ne 2 ]; then bad "$f: exit $rc, expected 2: $err"; return; fi
  case "$err" in
    *"ERROR: AddressSanitizer"* | *"runtime error:"* | *"LeakSanitizer"*)
      bad "$f: sanitizer report: $err"; return ;;
  esac
  case "$err" in "$f:"*) ;; *) bad "$f: message does not start with '$f:': $err"; return ;; esac
  case "$err" in *"$want"*) ok ;; *) bad "$f: message lacks '$want': $err" ;; esac
}

n=0
for f in tests/bad/*.json; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  e=${f%.json}.expect
  if [ ! -f "$e" ]; then bad "$f: no $e"; continue; fi
  want=$(<"$e")
  if [ -z "$want" ]; then bad "$e is empty"; continue; fi
  check_bad "$f" "$want"
done
for e in tests/bad/*.expect; do
  [ -e "$e" ] || continue
  [ -f "${e%.expect}.json" ] || bad "$e: no ${e%.expect}.json"
done
[ "$n" -ge 30 ] || bad "only $n bad models in tests/bad"

# A NUL byte inside an otherwise valid model.
printf '{"format": "tc0c-model/1",\0 "name": "x"}\n' >"$tmp/nul-byte.json"
check_bad "$tmp/nul-byte.json" "contains a NUL byte"

# Duplicate-key detection is linear (sorting): 200,000 keys in "scales"
# take well under a second; the old pairwise check took minutes.
big_scales() { # extra_key
  python3 - "$1" <<'PY'
import sys
base = open("tests/json/valid-number-3.0.json").read()
keys = ", ".join(f'"k{i}": 1' for i in range(200000)) + sys.argv[1]
print(base.replace('"p": 3.0,', '"p": 3, "scales": {' + keys + '},', 1))
PY
}
big_scales "" >"$tmp/scales-ok.json"
big_scales ', "k5": 2' >"$tmp/scales-dup.json"
if out=$(timeout 30 "$T" check "$tmp/scales-ok.json" 2>&1); then ok; else bad "200,000 scales keys: exit $?: ${out:0:300}"; fi
out=$(timeout 30 "$T" check "$tmp/scales-dup.json" 2>&1); rc=$?
case "$rc:$out" in "2:"*"scales: duplicate key 'k5'"*) ok ;; *) bad "200,000 scales keys + duplicate: exit $rc: ${out:0:300}" ;; esac

echo "bad_models: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
