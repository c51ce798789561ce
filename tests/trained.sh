#!/usr/bin/env bash
# The trained models (models/trained/*.json, written by `make train`):
# every one loads, compiles and verifies (circuit = reference) exhaustively
# for n <= 12 and on random strings at n = 16, 32 and 64, with a threshold
# depth that does not grow with n; and the quantized models of known tasks
# (the file name up to the first '_' names it) keep their accuracy on fixed
# strings whose right answers this test computes itself.  No PyTorch
# needed.  models/trained/REPORT.md has the full measurement (n = 16
# exhaustively, 2000 task strings per length).
# usage: tests/trained.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
cd "$(dirname "$0")/.."
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Minimum number of right answers out of the $COUNT strings at each n: what
# the committed models scored on exactly these strings when they were made
# (the evaluation is deterministic, so any change is a regression or a new
# model; models/trained/REPORT.md measures them on 2000 strings per length).
COUNT=100
# the long lengths: up to 64 with build/tc0c; up to 32 under a sanitizer
# build, which checks memory, not lengths (dyck1_preln at n = 64 takes 21 s
# a compile under ASan, 8 s without)
LONG="16 32 64"
[ "$T" = build/tc0c ] || LONG="16 32"
declare -A MIN_RIGHT=(
  [majority:16]=100 [majority:64]=100
  [dyck1:16]=100 [dyck1:64]=81
  [dyck1_softmax:16]=100 [dyck1_softmax:64]=100
  [dyck1_preln:16]=100 [dyck1_preln:64]=60
)

# Deterministic strings and their right answers: TASK N COUNT SEED ->
# "STRING LABEL" lines (LABEL 1 = accept).  MINSTD random numbers keep
# every awk (mawk, gawk, busybox) on the same sequence.
gen_strings() {
  awk -v task="$1" -v n="$2" -v count="$3" -v seed="$4" '
    function rnd() { seed = (seed * 48271) % 2147483647; return seed / 2147483647 }
    function rndint(k) { return int(rnd() * k) }
    function majority(s,   i, c) { c = 0; for (i = 1; i <= length(s); i++) c += substr(s, i, 1) == "1" ? 1 : -1; return c > 0 }
    function dyck(s,   i, b) {
      b = 0
      for (i = 1; i <= length(s); i++) { b += substr(s, i, 1) == "(" ? 1 : -1; if (b < 0) return 0 }
      return b == 0
    }
    function balanced(n,   i, b, s) {  # a random balanced string of even length n
      s = ""; b = 0
      for (i = 0; i < n; i++) {
        if (b == 0) c = "("; else if (b == n - i) c = ")"; else c = rndint(2) ? "(" : ")"
        b += c == "(" ? 1 : -1; s = s c
      }
      return s
    }
    function near_miss(n,   s, i, j, b, k, z, zn) {  # a balanced string spoiled once
      s = balanced(n)
      if (rndint(2)) {  # flip one bracket: final balance +-2
        i = rndint(n) + 1
        return substr(s, 1, i - 1) (substr(s, i, 1) == "(" ? ")" : "(") substr(s, i + 1)
      }
      zn = 0; b = 0  # turn a top-level "(...)" into ")...(": one prefix at -1
      for (k = 1; k <= n; k++) { if (b == 0) z[++zn] = k; b += substr(s, k, 1) == "(" ? 1 : -1 }
      i = z[rndint(zn) + 1]; b = 0
      for (j = i; j <= n; j++) { b += substr(s, j, 1) == "(" ? 1 : -1; if (b == 0) break }
      return substr(s, 1, i - 1) ")" substr(s, i + 1, j - i - 1) "(" substr(s, j + 1)
    }
    function random_string(n, a, b,   i, s) { s = ""; for (i = 0; i < n; i++) s = s (rndint(2) ? b : a); return s }
    BEGIN {
      for (k = 0; k < count; k++) {
        if (task == "majority") { s = random_string(n, "0", "1"); y = majority(s) }
        else {
          r = k % 6
          s = r < 3 ? balanced(n) : r < 5 ? near_miss(n) : random_string(n, "(", ")")
          y = dyck(s)
        }
        print s, y
      }
    }'
}

shopt -s nullglob
models=(models/trained/*.json)
if [ ${#models[@]} -eq 0 ]; then bad "no models in models/trained (make train writes them)"; fi

for m in "${models[@]}"; do
  name=$(basename "$m" .json)
  task=${name%%_*}  # dyck1_softmax is a dyck1 model
  if r=$("$T" check "$m" 2>&1); then ok; else bad "$name: check: $r"; continue; fi
  for n in 1 2 3 4 5 6 7 8 10 12; do
    if r=$("$T" verify "$m" -n "$n" --quiet 2>&1) && [[ $r == *"(all) strings"* ]]; then ok; else bad "$name n=$n: $r"; fi
  done
  for n in $LONG; do
    if r=$("$T" verify "$m" -n "$n" --quiet --random 3000 --seed 11 2>&1); then ok; else bad "$name n=$n: $r"; fi
  done
  prev=""
  for n in 8 $LONG; do
    d=$("$T" stats "$m" -n "$n" | sed -n 's/.*gates, depth \([0-9]*\).*/\1/p' | head -1)
    if [ -z "$d" ]; then bad "$name n=$n: no depth from stats"; continue; fi
    if [ -n "$prev" ] && [ "$d" -gt "$prev" ]; then bad "$name: depth grows from $prev to $d at n=$n"; else ok; fi
    prev=$d
  done

  # accuracy of the quantized model (the reference evaluator) on fixed strings
  for n in 16 64; do
    want=${MIN_RIGHT[$name:$n]:-}
    if [ -z "$want" ]; then echo "note: $name n=$n: no accuracy figure in tests/trained.sh"; continue; fi
    right=0 total=0 wrong_example=""
    while read -r s y; do
      out=$("$T" run "$m" "$s" 2>&1)
      total=$((total + 1))
      case "$out" in
        accept) got=1 ;;
        reject) got=0 ;;
        *) bad "$name: run '$s': $out"; continue ;;
      esac
      if [ "$got" = "$y" ]; then right=$((right + 1)); else wrong_example="$s (want $y, got $got)"; fi
    done < <(gen_strings "$task" "$n" "$COUNT" $((1000 + n)))
    if [ "$total" -eq "$COUNT" ] && [ "$right" -ge "$want" ]; then ok
    else bad "$name n=$n: $right of $total right, at least $want expected; e.g. $wrong_example"; fi
  done
done

echo "trained: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
