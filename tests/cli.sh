#!/usr/bin/env bash
# Command-line checks of tc0c: exit codes, outputs, messages.
# usage: tests/cli.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { # expected_rc expected_stdout_substring cmd...
  local rc=$1 want=$2; shift 2
  local out; out=$("$@" 2>&1); local got=$?
  if [ "$got" -ne "$rc" ]; then bad "$* -> exit $got, expected $rc: $out"; return; fi
  case "$out" in *"$want"*) ok ;; *) bad "$* -> '$out' lacks '$want'" ;; esac
}

expect 0 accept  "$T" run models/dyck1.json "(()())"
expect 0 reject  "$T" run models/dyck1.json "())("
expect 0 accept  "$T" run models/dyck1.json ""
expect 0 accept  "$T" run models/majority.json "10101"
expect 0 reject  "$T" run models/majority.json "1010"
expect 0 accept  "$T" run models/parity.json "0100"
expect 0 accept  "$T" run models/anbn.json "aaabbb"
expect 0 reject  "$T" run models/anbn.json "abab"
expect 0 "0 0 1 1 1" "$T" run models/prefix_majority.json "01111"
expect 0 "parameters:" "$T" check models/parity.json
expect 0 "layer 0 head 0" "$T" run models/dyck1.json "()" --trace
expect 0 "usage:" "$T" help
expect 0 "--max-depth D" "$T" compile --help
expect 0 "usage:" "$T" stats models/dyck1.json -h
expect 2 "not in the vocabulary" "$T" run models/dyck1.json -- --help
expect 1 "unknown command" "$T" frobnicate
expect 1 "usage:" "$T"
expect 1 "needs MODEL and STRING" "$T" run models/dyck1.json
expect 1 "unknown option" "$T" run models/dyck1.json "()" --bogus
expect 2 "'x' is not in the vocabulary {(,)}" "$T" run models/dyck1.json "(x)"
expect 2 "max_len is 64" "$T" run models/dyck1.json "$(printf '(%.0s' $(seq 65))"
expect 2 "cannot open" "$T" check models/no-such-model.json

# Exact option matching, "--", repeated options (issue 12).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M=models/majority.json
expect 1 "unknown option '--emit'" "$T" compile $M -n 3 --emit -o "$tmp/d"
expect 1 "unknown option '-r'" "$T" compile $M -n 3 -r -o "$tmp/d"
expect 1 "unknown option '--pipe'" "$T" compile $M -n 3 --pipe 2 -o "$tmp/d"
expect 1 "unexpected argument '-'" "$T" compile $M -n 3 --pipeline 1 - -o "$tmp/d"
expect 1 "option -o given twice" "$T" compile $M -n 3 -o "$tmp/d" -o "$tmp/e"
expect 1 "option -n given twice" "$T" verify $M -n 3 -n 4
expect 1 "unknown option '--trac'" "$T" run models/dyck1.json "()" --trac
[ ! -e "$tmp/d" ] && ok || bad "a refused command line created $tmp/d"
expect 1 "needs MODEL and STRING" "$T" run models/dyck1.json --
expect 1 "unexpected argument" "$T" check $M $M
# A model whose vocabulary holds '-': strings that look like options.
sed 's/"vocab": \["a", "b"\]/"vocab": ["-", "t"]/' tests/json/valid-number-3.0.json >"$tmp/dash.json"
expect 0 "model bad_base" "$T" check "$tmp/dash.json"
expect 0 "ept" "$T" run "$tmp/dash.json" -- --
expect 0 "ept" "$T" run "$tmp/dash.json" -- -t-t
expect 0 "ept" "$T" run -- "$tmp/dash.json" --
expect 2 "input position 3: 'r' is not in the vocabulary {-,t}" "$T" run "$tmp/dash.json" -- --trace
expect 0 "embedding" "$T" run "$tmp/dash.json" --trace -- --
"$T" compile $M -n 3 --emit-ref --quiet -o "$tmp/c" >/dev/null 2>&1 && [ -f "$tmp/c/majority_n3_ref.v" ] && ok ||
  bad "compile --emit-ref did not write majority_n3_ref.v"

# Exit codes: 5 for an output that cannot be written, 2 for a bad model;
# messages name the file.
touch "$tmp/file"
expect 5 "cannot write $tmp/file/majority_n3.v" "$T" compile $M -n 3 --quiet -o "$tmp/file"
expect 5 "cannot create $tmp/file/sub" "$T" compile $M -n 3 --quiet -o "$tmp/file/sub"
if [ -c /dev/full ] && [ -w /dev/full ]; then
  expect 5 "cannot write /dev/full: No space left on device" "$T" vectors $M -n 3 -o /dev/full
  # the failed write removes a partial file, never the device itself (it
  # did: as root, the next compile -o /dev/full then made a directory)
  if [ -c /dev/full ]; then
    ok
    expect 5 "cannot write /dev/full/majority_n3.v" "$T" compile $M -n 3 --quiet -o /dev/full
  else bad "tc0c vectors -o /dev/full removed /dev/full (compile -o /dev/full not run: it would make a directory)"; fi
else bad "/dev/full is not a writable character device on this machine: $(ls -ld /dev/full 2>&1)"; fi
expect 5 "cannot write $tmp/file/v.txt" "$T" vectors $M -n 3 -o "$tmp/file/v.txt"
expect 2 "models: cannot read: Is a directory" "$T" check models
expect 2 "tc0c verify: $M: -n 99 exceeds the model's max_len 64" "$T" verify $M -n 99
expect 4 "tc0c stats: $M: refused by the size guard" "$T" stats $M -n 8 --max-gates 1
expect 2 "tests/bad/97-nul-in-symbol.json: vocab[0]: a string may not contain NUL" "$T" run tests/bad/97-nul-in-symbol.json "ab"

# The depth budget and the lowering choice (docs/lowering.md "Depth budget
# and the choice"): bad values, a budget below the minimum (exit 2 naming
# it), the budget and objective in the stats, and a verify of every budget
# from the minimum to unbounded at small n.
A=models/anbn.json
expect 1 "--max-depth needs a whole number from 1" "$T" stats $A -n 4 --max-depth 0
expect 1 "--max-depth needs a whole number" "$T" stats $A -n 4 --max-depth x
expect 1 "--objective takes depth|size, got 'wires'" "$T" stats $A -n 4 --objective wires
expect 1 "--variant takes threshold|tournament|tournament_values|div_restoring|and_plain|bits_tap|bits_thermo|bits_slack" "$T" verify $A -n 4 --variant fast
# every variant the message lists is accepted (a choices list past the
# parser's buffer once cut the last ones off)
for v in threshold tournament tournament_values div_restoring and_plain bits_tap bits_thermo bits_slack; do
  expect 0 "lowering: variant" "$T" stats $A -n 4 --variant $v --bits auto --target lut4
done
expect 1 "exclude each other" "$T" stats $A -n 4 --max-depth 9 --objective size
expect 1 "--target takes thr|lut4|lut6, got 'lut5'" "$T" stats $A -n 4 --target lut5
expect 0 "variant tournament_values=3, target lut4, estimated LUT depth budget" "$T" stats $A -n 16 --target lut4
expect 2 "below the smallest estimated LUT depth reachable" "$T" stats $A -n 16 --target lut4 --max-depth 3
expect 0 "variant threshold, depth budget 8" "$T" stats $A -n 16 --target thr
"$T" compile $A -n 8 --target lut6 --quiet -o "$tmp/t6" >/dev/null 2>&1 &&
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not (s["target"] == "lut6" and s["lut6_estimate"]["luts"] > 0 and s["lut4_estimate"]["depth"] > 0))' "$tmp/t6/anbn_n8.stats.json" &&
  ok || bad "compile --target lut6: stats.json lacks target or the LUT estimates"
for tg in lut4 lut6; do
  for mn in anbn:7 dyck1:7 parity:6 majority:7; do
    "$T" verify models/${mn%%:*}.json -n ${mn##*:} --target $tg --quiet >/dev/null 2>&1 && ok || bad "verify $mn --target $tg"
  done
done
expect 2 "--max-depth 7 is below the smallest threshold depth reachable, 8" "$T" stats $A -n 16 --max-depth 7
expect 2 "below the smallest threshold depth reachable, 11 with --variant tournament" "$T" verify $A -n 8 --max-depth 8 --variant tournament
expect 0 "variant threshold, depth budget 8 (smallest reachable 8)" "$T" stats $A -n 16
expect 0 "variant tournament_values=1, depth budget 12 (smallest reachable 8)" "$T" stats $A -n 32 --max-depth 12
expect 0 "variant tournament_values=3, objective size" "$T" stats $A -n 16 --objective size
"$T" compile $A -n 8 --max-depth 10 --quiet -o "$tmp/b" >/dev/null 2>&1 &&
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not (s["max_depth"] == 10 and s["min_depth"] == 8 and s["objective"] == "depth" and s["depth"] <= 10 and s["variant"].startswith("tournament")))' "$tmp/b/anbn_n8.stats.json" &&
  ok || bad "compile --max-depth 10: stats.json lacks the budget, objective or variant"
# every budget verifies, and a larger budget never gives more wires
for mn in anbn:6 dyck1:6 parity:5 first_eq_last:5 majority:5 prefix_majority:5 parity_ln:5; do
  m=models/${mn%%:*}.json n=${mn##*:} prev=""
  for d in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 20; do
    out=$("$T" stats "$m" -n "$n" --max-depth $d 2>&1); rc=$?
    if [ $rc -eq 2 ]; then continue; fi
    w=$(echo "$out" | sed -n 's/^  wires \([0-9]*\).*/\1/p')
    dep=$(echo "$out" | sed -n 's/.*gates, depth \([0-9]*\).*/\1/p')
    if [ $rc -ne 0 ] || [ -z "$w" ] || [ "$dep" -gt $d ]; then bad "$m -n $n --max-depth $d: rc $rc depth $dep"; continue; fi
    if [ -n "$prev" ] && [ "$w" -gt "$prev" ]; then bad "$m -n $n: $w wires at budget $d, $prev below it"; else ok; fi
    prev=$w
    "$T" verify "$m" -n "$n" --max-depth $d --quiet >/dev/null 2>&1 && ok || bad "verify $m -n $n --max-depth $d"
  done
  [ -n "$prev" ] && ok || bad "$m: no budget compiled"
done

# verify --random K checks K strings at every n; all of them only when
# there are at most K (or with --exhaustive, or without --random at small n).
expect 0 "on 10 random strings" "$T" verify $M -n 8 --random 10 --quiet
expect 0 "on 8 (all) strings" "$T" verify $M -n 3 --random 100 --quiet
expect 0 "on 256 (all) strings" "$T" verify $M -n 8 --quiet
expect 0 "on 8 (all) strings" "$T" verify $M -n 3 --exhaustive --quiet
expect 1 "exclude each other" "$T" verify $M -n 3 --exhaustive --random 5
expect 0 "on 300 random strings" "$T" verify models/dyck1.json -n 12 --random 300 --quiet

# The output formats of docs/cli.md: run prints the labels separated by one
# space and an empty line for the empty input of a label model; vectors
# writes two comment lines, then "INBITS OUTBITS STRING" per line.
expect 0 "0 0 1 1 1" "$T" run models/prefix_majority.json "01111"
"$T" vectors $M -n 3 --exhaustive -o "$tmp/v.txt" && ok || bad "vectors --exhaustive failed"
[ "$(grep -c '^#' "$tmp/v.txt")" -eq 2 ] && ok || bad "vectors: not two comment lines"
if awk '!/^#/ { if (NF != 3 || $1 !~ /^[01]+$/ || $2 !~ /^[01]+$/) exit 1; n++ } END { exit n != 8 }' "$tmp/v.txt"; then ok
else bad "vectors lines do not match docs/cli.md: $(head -4 "$tmp/v.txt")"; fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
