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
expect 1 "unknown command" "$T" frobnicate
expect 1 "usage:" "$T"
expect 1 "needs MODEL and STRING" "$T" run models/dyck1.json
expect 1 "unknown option" "$T" run models/dyck1.json "()" --bogus
expect 2 "'x' is not in the vocabulary {(,)}" "$T" run models/dyck1.json "(x)"
expect 2 "max_len is 64" "$T" run models/dyck1.json "$(printf '(%.0s' $(seq 65))"
expect 2 "cannot open" "$T" check models/no-such-model.json

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
