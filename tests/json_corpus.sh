#!/usr/bin/env bash
# The shared JSON corpus tests/json/: every valid-*.json is a valid model
# whose JSON text is unusual but RFC 8259 (lone surrogate escapes, UTF-8,
# exponents, CR LF, ...); every invalid-*.json breaks the JSON grammar or
# tc0c's NUL rule once.  `tc0c check` (exit 0 / exit 2 with a malformed-JSON
# or NUL message, no sanitizer report) and scripts/model_json.py (the Python
# reader with the same rules) must agree on every file, and Python's plain
# json module must read every valid file.  Also: `check` prints a
# description's control characters escaped, never raw.
# usage: tests/json_corpus.sh TC0C_BINARY
set -u
T=${1:-build/tc0c}
PY=${PYTHON:-python3}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The Python verdicts, all files in one run each: "FILE: ok" / "FILE: error: ...".
"$PY" scripts/model_json.py tests/json/*.json >"$tmp/py-all" 2>&1
"$PY" -c '
import json, sys
for f in sys.argv[1:]:
    try:
        json.load(open(f, encoding="utf-8")); print(f + ": ok")
    except ValueError as e:
        print(f + ": error: " + str(e))' tests/json/valid-*.json >"$tmp/plain-all" 2>&1

n=0
for f in tests/json/*.json; do
  n=$((n + 1))
  "$T" check "$f" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  err=$(<"$tmp/err")
  case "$err" in *"ERROR: AddressSanitizer"* | *"runtime error:"* | *"LeakSanitizer"*)
    bad "$f: sanitizer report: $err"; continue ;; esac
  grep -F "$f: " "$tmp/py-all" >"$tmp/py"
  if grep -qF "$f: ok" "$tmp/py"; then prc=0; else prc=2; fi
  case "$(basename "$f")" in
    valid-*)
      [ "$rc" -eq 0 ] && ok || bad "$f: tc0c check exit $rc, expected 0: $err"
      [ "$prc" -eq 0 ] && ok || bad "$f: scripts/model_json.py rejects it: $(cat "$tmp/py")"
      grep -qxF "$f: ok" "$tmp/plain-all" && ok || bad "$f: Python's json module rejects it: $(grep -F "$f" "$tmp/plain-all")" ;;
    invalid-*)
      [ "$rc" -eq 2 ] && ok || bad "$f: tc0c check exit $rc, expected 2"
      case "$err" in "$f"*"malformed JSON"* | "$f: "*"NUL (\\u0000)"*) ok ;; *) bad "$f: unexpected message: $err" ;; esac
      [ "$prc" -eq 2 ] && ok || bad "$f: scripts/model_json.py accepts it" ;;
    *) bad "$f: name must start with valid- or invalid-" ;;
  esac
done
[ "$n" -ge 40 ] || bad "only $n files in tests/json"

# Terminal escapes in a description reach the output escaped.
out=$("$T" check tests/json/valid-terminal-escape.json)
if printf '%s' "$out" | LC_ALL=C grep -q $'\x1b\|\xc2\x9b'; then bad "check prints raw control characters: $out"; else ok; fi
case "$out" in *'\x1b[31mred'*) ok ;; *) bad "check does not show the escaped description: $out" ;; esac

echo "json_corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
