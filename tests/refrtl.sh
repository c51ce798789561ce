#!/usr/bin/env bash
# The arithmetic RTL baseline (compiler/refrtl.c, DESIGN.md section 5):
# for every model in models/ and tests/rtl_models/ at n = 1..5 and 8, the
# RTL simulated in Icarus must match the reference evaluator on every
# vector (all strings when there are at most 4096, else 1000 random ones),
# lint clean under iverilog -Wall and verilator --lint-only -Wall, and
# written deterministically.  Yosys must synthesize majority and dyck1 at
# n = 4, and the synthesized netlist must still match.  The driver
# tests/tool_refrtl.c is built here against the library objects.  With the
# asan binary the driver is built with the sanitizer objects and runs on
# every model and n, but only n <= 3 is simulated (the Verilog is the same
# bytes as in the normal pass; the sanitizer pass is about the C code).
# usage: tests/refrtl.sh [TC0C_BINARY]
set -u
cd "$(dirname "$0")/.."
T=${1:-build/tc0c}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "refrtl: $pass passed, $fail failed${1:-}"; [ "$fail" -eq 0 ]; exit $?; }

for tool in iverilog vvp verilator; do
  if ! command -v $tool >/dev/null; then
    bad "$tool is not installed (apt-get install iverilog verilator)"
    finish
  fi
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# --- the driver ---
CJ=$(pkg-config --cflags libcjson 2>/dev/null)
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
asan=0
if [[ $T == *asan* ]]; then
  asan=1
  make -s build/asan/tc0c >/dev/null || { bad "make build/asan/tc0c"; finish; }
  objdir=build/asan/obj
  FLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
else
  make -s build/tc0c >/dev/null || { bad "make build/tc0c"; finish; }
  objdir=build/obj
  FLAGS="-O2 -g"
fi
objs=$(ls $objdir/*.o | grep -v '/main\.o$')
TOOL=$out/tool_refrtl
# shellcheck disable=SC2086
if cc $WARN $FLAGS $CJ -D_POSIX_C_SOURCE=200809L -Icompiler tests/tool_refrtl.c $objs -o $TOOL -lcjson -lm; then ok; else
  bad "building tests/tool_refrtl.c"
  finish
fi

# gen MODEL N: writes $out/$mod.v and $out/$mod.vec; sets mod, ni, no, count
gen() {
  local info
  mod= ni= no= count=
  info=$("$TOOL" "$1" "$2" "$out/rtl.v" "$out/vec" 2>&1) || { bad "$1 n=$2: tool_refrtl: $info"; return 1; }
  mod=$(sed -n 's/.*module=\([^ ]*\).*/\1/p' <<<"$info")
  ni=$(sed -n 's/.* ni=\([0-9]*\).*/\1/p' <<<"$info")
  no=$(sed -n 's/.* no=\([0-9]*\).*/\1/p' <<<"$info")
  count=$(sed -n 's/.* count=\([0-9]*\).*/\1/p' <<<"$info")
  mv "$out/rtl.v" "$out/$mod.v" && mv "$out/vec" "$out/$mod.vec"
}

# sim FILE.v VECFILE: Icarus (-Wall must be silent), expects 0 mismatches
sim() {
  local v=$1 vec=$2 msg r
  if ! msg=$(iverilog -g2005 -Wall -DDUT="$mod" -Prefrtl_tb.NI="$ni" -Prefrtl_tb.NO="$no" -o "$out/sim.vvp" \
      sim/refrtl_tb.v "$v" 2>&1) || [ -n "$msg" ]; then
    bad "$v: iverilog: $(head -c 600 <<<"$msg")"
    return
  fi
  r=$(vvp -n "$out/sim.vvp" +vectors="$vec" 2>&1)
  if [[ $(tail -n 1 <<<"$r") == "$count vectors, 0 mismatches" ]]; then ok; else
    bad "$v: simulation: $(tail -n 12 <<<"$r")"
  fi
}

# lint FILE.v: verilator -Wall (the file name matches the module)
lint() {
  local msg
  if msg=$(verilator --lint-only -Wall "$1" 2>&1) && [ -z "$msg" ]; then ok; else
    bad "$1: verilator: $(head -c 600 <<<"$msg")"
  fi
}

models=(models/*.json tests/rtl_models/*.json)
total=0
for m in "${models[@]}"; do
  max_len=$("$T" check "$m" 2>/dev/null | sed -n 's/.*max_len \([0-9]*\),.*/\1/p')
  for n in 1 2 3 4 5 8; do
    [ -n "$max_len" ] && [ "$n" -gt "$max_len" ] && continue
    gen "$m" "$n" || continue
    if [ $asan -eq 0 ] || [ "$n" -le 3 ]; then
      sim "$out/$mod.v" "$out/$mod.vec"
      total=$((total + count))
    fi
    [ $asan -eq 0 ] && lint "$out/$mod.v"
    # deterministic: the same bytes again
    "$TOOL" "$m" "$n" "$out/again.v" "$out/again.vec" >/dev/null 2>&1
    if cmp -s "$out/$mod.v" "$out/again.v"; then ok; else bad "$m n=$n: output not deterministic"; fi
    rm -f "$out/$mod.vec" "$out/again.v" "$out/again.vec" "$out/$mod.v"
  done
done
echo "simulated $total vectors"

# errors: n outside 1..max_len, a module name that is not an identifier
expect_error() { # what tool_refrtl-arguments...
  local what=$1 r; shift
  if r=$("$TOOL" "$@" 2>&1); then bad "$what accepted"; elif [[ $r == *"refrtl:"* ]]; then ok; else
    bad "$what: $r"; fi
}
expect_error "n = 0" models/dyck1.json 0 "$out/e.v" "$out/e.vec"
expect_error "n > max_len" models/dyck1.json 65 "$out/e.v" "$out/e.vec"
expect_error "module name 9bad" models/dyck1.json 4 "$out/e.v" "$out/e.vec" 9bad
expect_error "module name module" models/dyck1.json 4 "$out/e.v" "$out/e.vec" module

# Yosys: synthesis of majority and dyck1 at n = 4, and the netlist it writes
# simulated against the same vectors.
if [ $asan -eq 1 ]; then
  echo "yosys: checked in the normal pass"
elif command -v yosys >/dev/null; then
  for name in majority dyck1; do
    gen "models/$name.json" 4 || continue
    if timeout 300 yosys -q -p "read_verilog -sv $out/$mod.v; synth -flatten -top $mod; \
        tee -q -o $out/$mod.stat stat; write_verilog -noattr $out/${mod}_syn.v" >"$out/yosys.log" 2>&1; then
      cells=$(sed -n 's/^ *Number of cells: *\([0-9]*\).*/\1/p' "$out/$mod.stat" | tail -n 1)
      if [ -n "$cells" ] && [ "$cells" -gt 0 ]; then ok; else bad "$name n=4: yosys made no cells"; fi
      echo "yosys: $name n=4: ${cells:-?} cells"
      sim "$out/${mod}_syn.v" "$out/$mod.vec"
    else
      bad "$name n=4: yosys: $(tail -n 5 "$out/yosys.log")"
    fi
  done
else
  echo "yosys is not installed: synthesis check skipped"
fi

finish
