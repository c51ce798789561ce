#!/usr/bin/env bash
# Documentation checks: every repository path that README.md and docs/*.md
# name exists (scripts/check_paths.py), and the checker catches a missing one.
# usage: tests/docs.sh [TC0C_BINARY]   (the binary is not used)
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0
if python3 scripts/check_paths.py; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: docs name missing paths"; fi
tmp=$(mktemp); printf 'see compiler/no_such_file.c and synth/flows/*.ys\n' >"$tmp"
out=$(python3 scripts/check_paths.py "$tmp" 2>&1); rc=$?
rm -f "$tmp"
case "$rc:$out" in
  1:*"compiler/no_such_file.c does not exist"*) pass=$((pass + 1)) ;;
  *) fail=$((fail + 1)); echo "FAIL: check_paths missed a missing path (rc $rc): $out" ;;
esac
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
