#!/usr/bin/env bash
# Yosys checks (docs/reports.md): for every example model at small n the
# threshold depth Yosys `ltp` finds on the --gates cells netlist (cells as
# black boxes) equals the compiler's "depth"; formal equivalence (Yosys
# miter + SAT, and ABC iprove) of the threshold netlist with the arithmetic
# reference RTL (tc0c compile --emit-ref; before that exists, with the
# cells and maj netlists of the same circuit); a netlist with one gate's
# threshold changed by sed is NOT proven equivalent; synth/report.py
# end to end on a small configuration.
# usage: tests/yosys.sh TC0C_BINARY   (the asan binary gets a reduced subset)
set -u
cd "$(dirname "$0")/.."
T=${1:-build/tc0c}
PY=/usr/bin/python3
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if ! command -v yosys >/dev/null || ! command -v yosys-abc >/dev/null; then
  bad "yosys / yosys-abc not installed (make deps)"
  echo "yosys: $pass passed, $fail failed"
  exit 1
fi
reduced=0
[[ $T == *asan* ]] && reduced=1
if "$T" help 2>&1 | grep -q -- --emit-ref; then gold=ref; else gold=cells; fi
echo "equivalence against: $gold netlist"
R=$(pwd)
LIB="$R/rtl/tc0c_thr.v $R/rtl/tc0c_mthr.v $R/rtl/tc0c_maj.v"

# 1. threshold depth: Yosys ltp on the cells netlist == compiler depth
if [ $reduced = 1 ]; then NS="4"; else NS="3 4 8"; fi
for m in models/*.json; do
  for n in $NS; do
    d="$out/depth_$(basename "$m" .json)_$n"
    mkdir -p "$d"
    if ! "$T" compile "$m" -n "$n" -o "$d" --gates cells --quiet >/dev/null 2>"$d/err"; then
      bad "compile $m -n $n --gates cells: $(cat "$d/err")"; continue
    fi
    s=$(ls "$d"/*_n"$n".stats.json)
    top=$(basename "$s" .stats.json)
    want=$(sed -n 's/^[[:space:]]*"depth":[[:space:]]*\([0-9]*\).*/\1/p' "$s" | head -1)
    (cd "$d" && timeout 120 yosys -q -p "read_verilog -lib $LIB; read_verilog $top.v; hierarchy -check -top $top; rename $top top; script $R/synth/flows/gate.ys" >"$d/yosys.out" 2>&1)
    got=$(sed -n 's/.*Longest topological path in top (length=\([0-9]*\)).*/\1/p' "$d/ltp.txt" 2>/dev/null)
    if [ -n "$want" ] && [ "$got" = "$want" ]; then ok; else bad "$top: Yosys ltp depth '${got}' != compiler depth '${want}' ($(tail -n 2 "$d/yosys.out"))"; fi
  done
done

# 2. formal equivalence of the threshold netlist with $gold
if [ "$gold" = ref ]; then pairs="ref:thr,ref:cells"; else pairs="thr:cells,thr:maj"; fi
if [ $reduced = 1 ]; then EQ="dyck1:4 anbn:3 parity:4"; else EQ="dyck1:4 dyck1:6 anbn:4 parity:5 first_eq_last:4 prefix_majority:5 majority:5 parity_ln:4"; fi
for cfg in $EQ; do
  m=${cfg%%:*} n=${cfg##*:}
  r=$($PY synth/equiv.py "models/$m.json" "$n" --tc0c "$T" --pairs "$pairs" --method sat --timeout 180 --out "$out/eq" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && [ "$(grep -c ': PROVEN' <<<"$r")" -eq 2 ]; then ok; else bad "equivalence $m n=$n: $r"; fi
done
# the ABC method on one configuration
if [ $reduced = 0 ]; then
  r=$($PY synth/equiv.py models/dyck1.json 5 --tc0c "$T" --pairs "${pairs%%,*}" --method abc --timeout 180 --out "$out/eq" 2>&1)
  [ $? -eq 0 ] && [[ $r == *": PROVEN"* ]] && ok || bad "ABC equivalence dyck1 n=5: $r"
fi

# 3. a corrupted netlist is not proven equivalent: raise the threshold of
# the gate driving out[0] by one (thr style: `wire gK = sJ >= W'dT;`)
c="$out/corrupt"
mkdir -p "$c/thr" "$c/gold"
if [ "$gold" = ref ]; then
  "$T" compile models/dyck1.json -n 4 -o "$c/gold" --emit-ref --quiet >/dev/null 2>&1
  goldv=$(ls "$c"/gold/*_ref.v 2>/dev/null)
else
  "$T" compile models/dyck1.json -n 4 -o "$c/gold" --gates cells --quiet >/dev/null 2>&1
  goldv="$c/gold/dyck1_n4.v"
fi
"$T" compile models/dyck1.json -n 4 -o "$c/thr" --quiet >/dev/null 2>&1
v="$c/thr/dyck1_n4.v"
g=$(sed -n 's/.*assign out\[0\] = \(g[0-9]*\);.*/\1/p' "$v")
line=$(grep -E "wire $g = s[0-9]+ >= [0-9]+'d[0-9]+;" "$v")
if [ -z "$g" ] || [ -z "$line" ] || [ ! -f "$goldv" ]; then
  bad "corruption setup: out gate '$g', line '$line', gold '$goldv'"
else
  t=$(sed -E "s/.*'d([0-9]+);/\1/" <<<"$line")
  w=$(sed -E "s/.* >= ([0-9]+)'d.*/\1/" <<<"$line")
  if [ "$t" -ge 1 ]; then nt=$((t - 1)); else nt=$((t + 1)); fi
  sed -E "s/(wire $g = s[0-9]+ >= $w)'d$t;/\1'd$nt;/" "$v" >"$c/bad.v"
  if cmp -s "$v" "$c/bad.v"; then
    bad "sed did not change the netlist"
  else
    ok
    # the unchanged netlist is proven, the changed one is not (both methods)
    for meth in sat abc; do
      [ $reduced = 1 ] && [ $meth = abc ] && continue
      r=$($PY synth/equiv.py --gold "$goldv" --gate "$v" --method $meth --timeout 120 --out "$out/eqc" 2>&1)
      [ $? -eq 0 ] && [[ $r == *": PROVEN"* ]] && ok || bad "unchanged dyck1 n=4 [$meth]: $r"
      r=$($PY synth/equiv.py --gold "$goldv" --gate "$c/bad.v" --method $meth --timeout 120 --out "$out/eqc" 2>&1)
      rc=$?
      if [ $rc -ne 0 ] && [[ $r == *"NOT EQUIVALENT"* ]]; then ok; else bad "corrupted netlist ($g >= $t -> $nt) [$meth]: rc=$rc $r"; fi
    done
  fi
fi

# 4. synth/report.py end to end (small flows only): JSON written, depth matches
if [ $reduced = 0 ]; then
  r=$($PY synth/report.py models/dyck1.json 4 --tc0c "$T" --out "$out/report" --flows gate,lut4 --timeout 180 --quiet 2>&1)
  rc=$?
  j="$out/report/dyck1_n4.json"
  if [ $rc -eq 0 ] && [ -f "$j" ] && [ -f "$out/report/dyck1_n4.md" ] &&
     $PY -c "import json,sys; r=json.load(open(sys.argv[1])); g=r['gate']; l=r['thr']['flows']['lut4']; \
sys.exit(0 if g['depth_matches'] and l['status']=='ok' and l['luts']>0 and l['depth']>0 else 1)" "$j"; then ok
  else bad "report.py dyck1 n=4: rc=$rc $r"; fi
  # a flow over its size limit is reported as skipped, not dropped
  $PY synth/report.py models/dyck1.json 4 --tc0c "$T" --out "$out/report2" --flows lut6 --max-edges lut6=1 --no-ref --quiet >/dev/null 2>&1
  if grep -q 'skipped' "$out/report2/dyck1_n4.md" && grep -q '"status": "skipped"' "$out/report2/dyck1_n4.json"; then ok; else bad "size skip not reported"; fi
  # a run past the address-space limit says so (its bad_alloc is on stderr,
  # not in yosys.log), and a larger limit runs it again rather than
  # answering the cached failure
  $PY synth/report.py models/dyck1.json 16 --tc0c "$T" --out "$out/report3" --flows lut4 --no-ref --mem-gib 0.05 --quiet >/dev/null 2>&1
  if grep -q 'out of memory: address-space limit 0.05 GiB' "$out/report3/dyck1_n16.md"; then ok; else bad "out of memory not reported: $(grep lut4 "$out/report3/dyck1_n16.md" | tail -1)"; fi
  $PY synth/report.py models/dyck1.json 16 --tc0c "$T" --out "$out/report3" --flows lut4 --no-ref --mem-gib 2 --quiet >/dev/null 2>&1
  if $PY -c "import json,sys; l=json.load(open(sys.argv[1]))['thr']['flows']['lut4']; \
sys.exit(0 if l['status']=='ok' and l['luts']>0 and not l.get('cached') else 1)" "$out/report3/dyck1_n16.json"; then ok
  else bad "a larger --mem-gib answered the cached out-of-memory failure"; fi
fi

echo "yosys: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
