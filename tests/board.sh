#!/usr/bin/env bash
# The board wrapper at the UART bit level: for each design below, compile
# the model with TC0C_BINARY (--pipeline 1), generate the top
# (boards/board_wrapper.py top), lint it with `verilator --lint-only
# -Wall`, build sim/uart_tb.cpp against it, and send real 8N1 frames:
# random strings checked against `tc0c vectors` (the reference), bytes
# outside the vocabulary, framing errors, wrong lengths, CR/LF variants;
# one request at a time, and streamed back to back.  Verilator builds are
# cached under build/tests/board-cache/ (keyed by every input), so the
# second run of `make test` and the sanitizer run reuse them.
# With build/tc0c: every design (fast clock/baud ratio of 16 clocks per bit,
# and the real 12 MHz / 115200 ratio, and a host 1.5% off); with any other
# binary (the sanitizer build): a small real subset.  BOARD_NETLIST=1 also
# simulates the synthesized iCE40 netlist (synth_ice40) at 12 MHz / 115200.
# usage: tests/board.sh TC0C_BINARY
set -u
cd "$(dirname "$0")/.." || exit 2
root=$PWD
T=${1:-build/tc0c}
PY=${PYTHON:-python3}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cache=build/tests/board-cache
mkdir -p "$cache"
RTL="rtl/tc0c_board_core.v rtl/tc0c_uart_rx.v rtl/tc0c_uart_tx.v"
full=1
[ "$T" = build/tc0c ] || full=0

if ! command -v verilator >/dev/null; then
  echo "board: verilator is missing (make deps)"
  echo "board: 0 passed, 1 failed"
  exit 1
fi

# a three-symbol label model: 2-bit token codes, 2-bit label indices
cat >"$work/vote3.json" <<'EOF'
{"format": "tc0c-model/1", "name": "vote3",
 "description": "Board test model: three symbols (2-bit codes), three labels per position (2-bit indices).",
 "vocab": ["a", "b", "c"], "bos": "^", "max_len": 16, "p": 2, "d_model": 1,
 "embed": {"token": [[-1], [1], [0], [1]]},
 "layers": [{"attn": {"heads": [{"kind": "uniform", "causal": true, "d_head": 1, "wv": [[1]]}],
                      "wo": [[1]], "residual": false}}],
 "output": {"kind": "label", "labels": ["n", "p", "z"], "w": [[-2], [2], [0]], "b": [-1, -1, 0]}}
EOF

# each RTL file alone is lint-clean
for f in rtl/tc0c_uart_rx.v rtl/tc0c_uart_tx.v; do
  if r=$(verilator --lint-only -Wall "$f" 2>&1); then ok; else bad "lint $f: $r"; fi
done
# the core with one accept bit, and with 2-bit codes and labels
for g in "" "-GN=5 -GB=2 -GLB=2"; do
  # shellcheck disable=SC2086
  if r=$(verilator --lint-only -Wall --top-module tc0c_board_core $g $RTL 2>&1); then ok; else bad "lint core $g: $r"; fi
done

# build NAME MODEL N CLK_HZ BAUD: compile, generate, lint, verilate (cached);
# sets $sim to the harness binary and $dir to the design's folder
build() {
  local name=$1 model=$2 n=$3 clk=$4 baud=$5
  dir="$work/$name"
  sim=""
  mkdir -p "$dir"
  if ! "$T" compile "$model" -n "$n" -o "$dir" --pipeline 1 --quiet >"$dir/compile.log" 2>&1; then
    bad "$name: tc0c compile failed: $(tail -3 "$dir/compile.log")"; return 1
  fi
  local circ
  circ=$(ls "$dir"/*_n"$n".v)
  if ! "$PY" boards/board_wrapper.py top "$model" "$circ" -o "$dir/tc0c_board_top.v" \
       --clk-hz "$clk" --baud "$baud" >"$dir/gen.log" 2>&1; then
    bad "$name: board_wrapper.py top: $(cat "$dir/gen.log")"; return 1
  fi
  local srcs="$dir/tc0c_board_top.v $RTL $circ"
  # shellcheck disable=SC2086
  if r=$(verilator --lint-only -Wall --top-module tc0c_board_top $srcs 2>&1); then ok; else
    bad "$name: lint: $r"; return 1
  fi
  local key
  # shellcheck disable=SC2086
  key=$( (cat $srcs sim/uart_tb.cpp; echo "$clk $baud"; verilator --version) | sha1sum | cut -c1-16)
  local obj="$cache/$key"
  # one build per key at a time: the sanitizer run of this suite may be
  # building the same design at the same moment (tests/run.sh)
  {
    flock 8
    if [ ! -x "$obj/Vtb" ]; then
      rm -rf "$obj"
      mkdir -p "$obj"
      # shellcheck disable=SC2086
      cp $srcs "$obj/"
      # shellcheck disable=SC2086,SC2046
      if ! (cd "$obj" && verilator --cc --exe --build -j 2 --top-module tc0c_board_top \
            -GCLK_HZ="$clk" -GBAUD="$baud" -CFLAGS -O0 -MAKEFLAGS "OPT_FAST=-O0 OPT_SLOW=-O0" \
            --Mdir obj -o ../Vtb $(for s in $srcs; do basename "$s"; done) "$root/sim/uart_tb.cpp" \
            >build.log 2>&1); then
        bad "$name: verilator build failed: $(tail -5 "$obj/build.log")"; rm -rf "$obj"; return 1
      fi
      rm -rf "$obj/obj"
    fi
  } 8>"$obj.lock"
  sim="$obj/Vtb"
}

# cases NAME MODEL N COUNT SEED [--errors]: writes $dir/cases-SEED.txt
cases() {
  local name=$1 model=$2 n=$3 count=$4 seed=$5; shift 5
  if ! "$T" vectors "$model" -n "$n" -o "$dir/vec-$seed.txt" --random "$count" --seed "$seed" >/dev/null 2>&1; then
    bad "$name: tc0c vectors failed"; return 1
  fi
  if ! "$PY" boards/board_wrapper.py cases "$model" "$dir/vec-$seed.txt" -o "$dir/cases-$seed.txt" "$@" \
       2>"$dir/cases.log"; then
    bad "$name: board_wrapper.py cases: $(cat "$dir/cases.log")"; return 1
  fi
}

# run NAME LABEL CASES CLK BAUD plusargs...: adds the harness's counts
run() {
  local name=$1 label=$2 file=$3 clk=$4 baud=$5; shift 5
  local out p f
  out=$("$sim" +cases="$file" +clk_hz="$clk" +baud="$baud" "$@" 2>&1)
  p=$(echo "$out" | sed -n 's/^uart: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$out" | sed -n 's/^uart: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then bad "$name $label: no result: $(echo "$out" | tail -5)"; return; fi
  pass=$((pass + p)); fail=$((fail + f))
  printf '%-16s %-28s %4d strings passed, %d failed\n' "$name" "$label" "$p" "$f"
  [ "$f" -eq 0 ] || echo "$out" | grep -E '^FAIL' | head -10
}

# netlist NAME CASES CLK BAUD: the same cases on the iCE40 netlist after
# `synth_ice40` (Yosys's cell models); opt-in with BOARD_NETLIST=1, as it
# adds a synthesis and a slower Verilator build
netlist() {
  local name=$1 file=$2 clk=$3 baud=$4 circ key obj
  for circ in "$dir"/*_n*.v; do :; done
  # shellcheck disable=SC2086
  if ! timeout 600 yosys -q -p "read_verilog $RTL $circ $dir/tc0c_board_top.v; synth_ice40 -top tc0c_board_top; \
       write_verilog -noattr $dir/netlist.v" >"$dir/yosys.log" 2>&1; then
    bad "$name netlist: yosys failed"; return
  fi
  key=$( (cat "$dir/netlist.v" sim/uart_tb.cpp; verilator --version) | sha1sum | cut -c1-16)
  obj="$cache/gl-$key"
  {
    flock 8
    if [ ! -x "$obj/Vtb" ]; then
      rm -rf "$obj"
      mkdir -p "$obj"
      if ! (cd "$obj" && verilator --cc --exe --build -j 2 -Wno-fatal -Wno-lint -Wno-style \
            -DNO_ICE40_DEFAULT_ASSIGNMENTS --top-module tc0c_board_top -CFLAGS -O0 \
            -MAKEFLAGS "OPT_FAST=-O0 OPT_SLOW=-O0" --Mdir obj -o ../Vtb "$dir/netlist.v" \
            /usr/share/yosys/ice40/cells_sim.v "$root/sim/uart_tb.cpp" >build.log 2>&1); then
        bad "$name netlist: verilator build failed"; rm -rf "$obj"; return
      fi
      rm -rf "$obj/obj"
    fi
  } 8>"$obj.lock"
  sim="$obj/Vtb"
  run "$name" "iCE40 netlist" "$file" "$clk" "$baud" +leds=1
}

FAST=1843200 # 16 clocks per bit at 115200 baud
if [ $full -eq 1 ]; then
  if build majority models/majority.json 8 $FAST 115200; then
    cases majority models/majority.json 8 120 3 --errors && {
      run majority "one at a time, LEDs" "$dir/cases-3.txt" $FAST 115200 +leds=1
      run majority "streamed" "$dir/cases-3.txt" $FAST 115200 +leds=1 +stream=1
      run majority "random idle gaps" "$dir/cases-3.txt" $FAST 115200 +leds=1 +gap=3 +seed=9
    }
  fi
  if build majority-12M models/majority.json 8 12000000 115200; then
    cases majority-12M models/majority.json 8 100 4 --errors && {
      run majority-12M "12 MHz / 115200" "$dir/cases-4.txt" 12000000 115200 +leds=1
      run majority-12M "host +1.5% baud" "$dir/cases-4.txt" 12000000 115200 +leds=1 +host_ppm=15000 +max=30
      run majority-12M "host -1.5% baud" "$dir/cases-4.txt" 12000000 115200 +leds=1 +host_ppm=-15000 +max=30
      [ "${BOARD_NETLIST:-0}" = 1 ] && netlist majority-12M "$dir/cases-4.txt" 12000000 115200
    }
  fi
  if build dyck1 models/dyck1.json 10 $FAST 115200; then
    cases dyck1 models/dyck1.json 10 100 5 --errors &&
      run dyck1 "one at a time, LEDs" "$dir/cases-5.txt" $FAST 115200 +leds=1
  fi
  if build prefix_majority models/prefix_majority.json 6 $FAST 115200; then
    cases prefix_majority models/prefix_majority.json 6 100 6 --errors &&
      run prefix_majority "one at a time" "$dir/cases-6.txt" $FAST 115200
    cases prefix_majority models/prefix_majority.json 6 100 7 &&
      run prefix_majority "streamed" "$dir/cases-7.txt" $FAST 115200 +stream=1
  fi
  if build vote3 "$work/vote3.json" 6 $FAST 115200; then
    cases vote3 "$work/vote3.json" 6 100 8 --errors &&
      run vote3 "one at a time" "$dir/cases-8.txt" $FAST 115200
    cases vote3 "$work/vote3.json" 6 100 9 &&
      run vote3 "streamed" "$dir/cases-9.txt" $FAST 115200 +stream=1
  fi
else
  if build majority models/majority.json 8 $FAST 115200; then
    cases majority models/majority.json 8 20 3 --errors &&
      run majority "one at a time, LEDs" "$dir/cases-3.txt" $FAST 115200 +leds=1
  fi
fi

# the generator refuses a circuit without pipeline registers
mkdir -p "$work/comb"
if "$T" compile models/majority.json -n 4 -o "$work/comb" --quiet >/dev/null 2>&1; then
  if r=$("$PY" boards/board_wrapper.py top models/majority.json "$work/comb/majority_n4.v" -o "$work/comb/t.v" 2>&1); then
    bad "combinational circuit accepted: $r"
  elif [[ $r == *"--pipeline"* ]]; then ok; else bad "combinational circuit: $r"; fi
else
  bad "compile majority -n 4 failed"
fi

echo "board: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
