#!/usr/bin/env bash
# Whole-model compilation: every example model verified exhaustively at
# every n <= 12, and on random strings at n = 16 and 32; threshold depth
# must not grow from n = 8 to 16 to 32; the stats file; the size guard.
# usage: tests/compile.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for m in models/*.json; do
  name=$(basename "$m" .json)
  for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
    if r=$("$T" verify "$m" -n "$n" --quiet 2>&1) && [[ $r == *"(all) strings"* ]]; then ok; else bad "$name n=$n: $r"; fi
  done
  for n in 16 32; do
    if r=$("$T" verify "$m" -n "$n" --quiet --random 3000 --seed 7 2>&1); then ok; else bad "$name n=$n: $r"; fi
  done
  prev=""
  for n in 8 16 32; do
    d=$("$T" stats "$m" -n "$n" | sed -n 's/.*gates, depth \([0-9]*\).*/\1/p' | head -1)
    if [ -z "$d" ]; then bad "$name n=$n: no depth"; continue; fi
    if [ -n "$prev" ] && [ "$d" -gt "$prev" ]; then bad "$name: depth grows from $prev to $d at n=$n"; else ok; fi
    prev=$d
  done
done

# the tournament argmax (with flags, and carrying the values) forced on
# for every hard head (docs/lowering.md "Tournament argmax"): every model
# exhaustively at n <= 8, randomly at 16
for v in tournament tournament_values; do
  for m in models/*.json; do
    name=$(basename "$m" .json)
    for n in 1 2 3 4 5 6 7 8; do
      if r=$("$T" verify "$m" -n "$n" --quiet --variant $v 2>&1) && [[ $r == *"(all) strings"* ]]; then ok; else bad "$name n=$n $v: $r"; fi
    done
    if r=$("$T" verify "$m" -n 16 --quiet --random 2000 --seed 5 --variant $v 2>&1); then ok; else bad "$name n=16 $v: $r"; fi
  done
done

# compile writes the stats JSON with the documented keys
if "$T" compile models/dyck1.json -n 8 -o "$out" --quiet >/dev/null; then
  f="$out/dyck1_n8.stats.json"
  for key in gates depth inputs outputs edges max_fanin by_op by_layer variant objective max_depth min_depth; do
    if grep -q "\"$key\"" "$f"; then ok; else bad "stats lacks $key"; fi
  done
  # deterministic: same input, same bytes
  cp "$f" "$out/first.json"
  "$T" compile models/dyck1.json -n 8 -o "$out" --quiet >/dev/null
  if cmp -s "$f" "$out/first.json"; then ok; else bad "stats JSON not deterministic"; fi
else
  bad "compile dyck1 -n 8 failed"
fi

# the size guard refuses before building, names the estimate and the knob
r=$("$T" compile models/anbn.json -n 64 -o "$out" --max-gates 1000 2>&1); rc=$?
if [ $rc -eq 4 ] && [[ $r == *"estimated"*"exceeds --max-gates 1000"*"Lower n"* ]]; then ok; else bad "size guard: rc=$rc $r"; fi
# the memory guard: the estimate in bytes, with the model file and the knob; a bad value is a usage error
r=$("$T" stats models/anbn.json -n 64 --max-mem 1M 2>&1); rc=$?
if [ $rc -eq 4 ] && [[ $r == *"models/anbn.json"*"wires"*"exceeds --max-mem 1 MiB"*"raise --max-mem"* ]]; then ok; else bad "memory guard: rc=$rc $r"; fi
r=$("$T" stats models/anbn.json -n 8 --max-mem 2X 2>&1); [ $? -eq 1 ] && ok || bad "--max-mem 2X accepted: $r"
# usage errors
r=$("$T" compile models/anbn.json -n 0 -o "$out" 2>&1); [ $? -eq 1 ] && ok || bad "-n 0 accepted: $r"
r=$("$T" verify models/anbn.json -n 65 2>&1); [ $? -eq 2 ] && [[ $r == *"max_len 64"* ]] && ok || bad "-n 65: $r"
r=$("$T" verify models/anbn.json 2>&1); [ $? -eq 1 ] && ok || bad "missing -n: $r"
r=$("$T" verify models/anbn.json -n 4 --bogus 2>&1); [ $? -eq 1 ] && ok || bad "--bogus: $r"
r=$("$T" verify models/anbn.json -n 4 --random x 2>&1); [ $? -eq 1 ] && ok || bad "--random x: $r"

echo "compile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
