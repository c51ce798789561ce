#!/usr/bin/env bash
# board.sh - builds a tc0c circuit for an FPGA board: the model compiled
# with a register stage per threshold level, the UART board wrapper
# (boards/board_wrapper.py top, rtl/tc0c_board_core.v), synthesis with
# Yosys for the board's family, and for iCE40 boards place and route
# (nextpnr-ice40, with the .pcf and the board clock as --freq) and the
# bitstream (icepack).  Everything goes to build/board/BOARD/MODEL_nN/;
# report.txt there holds the utilization, and for iCE40 the achieved
# maximum frequency.  `make board BOARD=... MODEL=... N=...` runs it;
# docs/boards.md describes the boards and the protocol.
#
# usage: boards/board.sh BOARD MODEL N
# environment: TC0C (default build/tc0c), PIPELINE (levels per register
#   stage; default the board file's PIPELINE, else 1), SYNTH_FLAGS (more
#   synth_<family> options; default the board file's SYNTH_FLAGS),
#   COMPILE_FLAGS (more tc0c compile options, e.g. "--objective size";
#   default the board file's), SYNTH_TIMEOUT and PNR_TIMEOUT (seconds, default
#   1200 and 900), FORCE=1 (synthesize even when the estimate says the
#   design cannot fit).
# exit: 0 done; 1 usage; 2 tool or input error; 4 does not fit;
#   5 timing fails at the board clock; 124 a timeout.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

usage() {
  local names="" f
  for f in boards/*.mk; do names="$names $(basename "$f" .mk)"; done
  echo "usage: boards/board.sh BOARD MODEL N   (boards:$names)" >&2
  exit 1
}
[ $# -eq 3 ] || usage
BOARD=$1 MODEL=$2 N=$3
TC0C=${TC0C:-build/tc0c}
SYNTH_TIMEOUT=${SYNTH_TIMEOUT:-1200}
PNR_TIMEOUT=${PNR_TIMEOUT:-900}
PY=${PYTHON:-python3}
mk=boards/$BOARD.mk
[ -f "$mk" ] || { echo "board: no $mk" >&2; usage; }
[ -f "$MODEL" ] || { echo "board: no model $MODEL" >&2; exit 1; }
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "board: N must be a positive integer" >&2; exit 1; }

# the board file: KEY = value lines, '#' comments
declare -A B
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  if [[ $line =~ ^[[:space:]]*([A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
    v=${BASH_REMATCH[2]}
    B[${BASH_REMATCH[1]}]=${v%"${v##*[![:space:]]}"}
  fi
done <"$mk"
for k in NAME FAMILY DEVICE PACKAGE PART CLK_HZ BAUD FLOW CONSTRAINTS CAPACITY LEDS LED_INVERT; do
  [ -n "${B[$k]:-}" ] || { echo "board: $mk lacks $k" >&2; exit 2; }
done
for f in ${B[CONSTRAINTS]}; do [ -f "$f" ] || { echo "board: $mk: no $f" >&2; exit 2; }; done
# the family's LUT-friendly settings from the board file, unless the
# environment sets them (docs/boards.md "Settings per family")
PIPELINE=${PIPELINE:-${B[PIPELINE]:-1}}
SYNTH_FLAGS=${SYNTH_FLAGS-${B[SYNTH_FLAGS]:-}}
COMPILE_FLAGS=${COMPILE_FLAGS-${B[COMPILE_FLAGS]:-}}
[[ $PIPELINE =~ ^[0-9]+$ ]] || { echo "board: PIPELINE must be a number, not '$PIPELINE'" >&2; exit 1; }

name=$(basename "$MODEL" .json)
out=build/board/$BOARD/${name}_n$N
rm -rf "$out"
mkdir -p "$out"
report=$out/report.txt
say() { echo "$*" | tee -a "$report"; }
mhz=$(awk -v h="${B[CLK_HZ]}" 'BEGIN { printf "%g", h / 1e6 }')
say "board: ${B[NAME]} (${B[PART]}), clock $mhz MHz, UART ${B[BAUD]} 8N1"
say "design: $MODEL, n = $N, a register stage every $PIPELINE threshold level(s)"

# 1. the circuit
[ -x "$TC0C" ] || { echo "board: $TC0C is missing (run make)" >&2; exit 2; }
# shellcheck disable=SC2086
"$TC0C" compile "$MODEL" -n "$N" -o "$out" --pipeline "$PIPELINE" --quiet $COMPILE_FLAGS >"$out/compile.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  cat "$out/compile.log" >&2
  [ $rc -eq 4 ] && { say "DOES NOT FIT: the circuit is too large to build at n = $N; try a smaller N."; exit 4; }
  exit 2
fi
circ=$(ls "$out"/*_n"$N".v)
stats=${circ%.v}.stats.json
read -r gates wires depth latency < <("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["gates"], s["wires"], s["depth"], s["latency"])' "$stats")
say "circuit: $(basename "$circ"): $gates threshold gates, $wires wires, depth $depth, latency $latency cycles"

# A rough estimate before synthesis, to stop hopeless designs early: one
# LUT per wire of the shared netlist (stats "wires") plus some 200 for the
# wrapper, stopping above 1.5 times the capacity; the exact count after
# synthesis decides.  Measured with the iCE40 settings (-nocarry, a stage
# every 4 levels): anbn n = 32, 6,049 wires, 864 logic cells; dyck1 n = 64
# and anbn n = 64 in docs/boards.md.  Without -nocarry (carry chains) a
# wire cost up to 2.5 logic cells.
est=$(( wires + 200 ))
if [ $(( est * 2 )) -gt $(( B[CAPACITY] * 3 )) ] && [ "${FORCE:-0}" != 1 ]; then
  say "DOES NOT FIT (estimate): about $est LUTs needed ($wires wires), the ${B[PART]} has ${B[CAPACITY]}."
  say "Try a smaller n (N=...) or a model with a smaller precision p; FORCE=1 synthesizes anyway."
  exit 4
fi

# 2. the board top
if ! "$PY" boards/board_wrapper.py top "$MODEL" "$circ" -o "$out/tc0c_board_top.v" --clk-hz "${B[CLK_HZ]}" \
     --baud "${B[BAUD]}" --leds "${B[LEDS]}" --led-invert "${B[LED_INVERT]}" --tie-high "${B[TIE_HIGH]:-}"; then
  exit 2
fi
srcs="rtl/tc0c_uart_rx.v rtl/tc0c_uart_tx.v rtl/tc0c_board_core.v $circ $out/tc0c_board_top.v"
if command -v verilator >/dev/null; then
  # shellcheck disable=SC2086
  verilator --lint-only -Wall --top-module tc0c_board_top $srcs >"$out/lint.log" 2>&1 ||
    { cat "$out/lint.log" >&2; echo "board: the generated design does not lint" >&2; exit 2; }
fi

# 3. synthesis
case ${B[FAMILY]} in
  ice40)  synth="synth_ice40 -top tc0c_board_top" ;;
  xilinx) synth="synth_xilinx -family xc7 -flatten -top tc0c_board_top" ;;
  ecp5)   synth="synth_ecp5 -top tc0c_board_top" ;;
  gowin)  synth="synth_gowin -top tc0c_board_top" ;;
  *) echo "board: unknown FAMILY ${B[FAMILY]}" >&2; exit 2 ;;
esac
[ -z "$SYNTH_FLAGS" ] || synth="$synth $SYNTH_FLAGS"
say "synthesis: yosys $synth (log $out/yosys.log, timeout ${SYNTH_TIMEOUT}s)"
t0=$SECONDS
timeout "$SYNTH_TIMEOUT" yosys -q -l "$out/yosys.log" -p "read_verilog $srcs; $synth; write_json $out/synth.json; tee -q -o $out/stat.json stat -json" >/dev/null 2>&1
rc=$?
if [ $rc -eq 124 ]; then
  say "TIMEOUT: synthesis ran past ${SYNTH_TIMEOUT}s (SYNTH_TIMEOUT=...); try a smaller n."
  exit 124
elif [ $rc -ne 0 ]; then
  grep -E "ERROR|Error" "$out/yosys.log" | head -5 >&2
  echo "board: yosys failed (rc $rc), see $out/yosys.log" >&2
  exit 2
fi
say "synthesis: $((SECONDS - t0))s"
"$PY" boards/board_wrapper.py report "${B[FAMILY]}" "$out/stat.json" "${B[CAPACITY]}" | tee -a "$report"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || exit "$rc"

# 4. place and route
top=$out/tc0c_board_top
if [ "${B[FLOW]}" = ice40 ]; then
  say "place and route: nextpnr-ice40 --${B[DEVICE]} --package ${B[PACKAGE]} --freq $mhz (log $out/nextpnr.log, timeout ${PNR_TIMEOUT}s)"
  t0=$SECONDS
  timeout "$PNR_TIMEOUT" nextpnr-ice40 "--${B[DEVICE]}" --package "${B[PACKAGE]}" --pcf "${B[CONSTRAINTS]}" \
    --json "$out/synth.json" --asc "$top.asc" --freq "$mhz" --timing-allow-fail \
    --report "$out/nextpnr.json" -l "$out/nextpnr.log" -q >/dev/null 2>&1
  rc=$?
  if [ $rc -eq 124 ]; then
    say "TIMEOUT: place and route ran past ${PNR_TIMEOUT}s (PNR_TIMEOUT=... to wait longer); a design this"
    say "full of the ${B[PART]} is slow to place: try a smaller n."
    exit 124
  elif [ $rc -ne 0 ]; then
    grep -E "ERROR" "$out/nextpnr.log" | head -5 | tee -a "$report"
    if grep -qE "but only|Unable to|failed to place|No wire found|too many" "$out/nextpnr.log"; then
      say "DOES NOT FIT: nextpnr could not place the design on the ${B[PART]}; try a smaller n (N=...)."
      exit 4
    fi
    echo "board: nextpnr-ice40 failed (rc $rc), see $out/nextpnr.log" >&2
    exit 2
  fi
  say "place and route: $((SECONDS - t0))s"
  icepack "$top.asc" "$top.bin" || { echo "board: icepack failed" >&2; exit 2; }
  "$PY" boards/board_wrapper.py report "${B[FAMILY]}" "$out/stat.json" "${B[CAPACITY]}" \
    --nextpnr "$out/nextpnr.json" | grep -E "^(placed|fmax|TIMING)" | tee -a "$report"
  rc=${PIPESTATUS[0]}
  say "bitstream: $top.bin ($(wc -c <"$top.bin") bytes)"
  say "program:   ${B[PROGRAM]:-iceprog} $top.bin"
  say "query:     boards/tc0c_query.py /dev/ttyUSB1 STRING   (docs/boards.md)"
  exit "$rc"
fi

say "PLACE AND ROUTE NOT RUN: Debian 12 packages no place-and-route tool for ${B[FAMILY]}."
case ${B[FAMILY]} in
  xilinx)
    cat >"$out/vivado.tcl" <<EOF
# Vivado batch script (vivado -mode batch -source $out/vivado.tcl), written by boards/board.sh
read_verilog {$srcs}
read_xdc ${B[CONSTRAINTS]}
synth_design -top tc0c_board_top -part ${B[PART]}
opt_design
place_design
route_design
report_utilization -file $out/vivado_utilization.txt
report_timing_summary -file $out/vivado_timing.txt
write_bitstream -force $top.bit
EOF
    say "Place and route with Vivado: vivado -mode batch -source $out/vivado.tcl  (writes $top.bit),"
    say "or with openXC7 (nextpnr-xilinx + fasm2frames + xc7frames2bit) from $out/synth.json and ${B[CONSTRAINTS]}."
    ;;
  ecp5)
    say "Place and route with Project Trellis (not in Debian 12; e.g. the OSS CAD Suite):"
    say "  nextpnr-ecp5 --${B[DEVICE]} --package ${B[PACKAGE]} --lpf ${B[CONSTRAINTS]} --freq $mhz \\"
    say "    --json $out/synth.json --textcfg $top.config && ecppack $top.config $top.bit"
    say "or with Lattice Diamond from the Verilog sources and ${B[CONSTRAINTS]}."
    ;;
  gowin)
    say "Place and route with Project Apicula (not in Debian 12; e.g. the OSS CAD Suite):"
    say "  nextpnr-himbaechel --device ${B[PART]} --vopt family=${B[DEVICE]} --vopt cst=${B[CONSTRAINTS]%% *} \\"
    say "    --freq $mhz --json $out/synth.json --write $top.pnr.json && gowin_pack -d ${B[DEVICE]} -o $top.fs $top.pnr.json"
    say "or with Gowin EDA from the Verilog sources and ${B[CONSTRAINTS]}."
    ;;
esac
say "program:   ${B[PROGRAM]:-?} (with the bitstream from the steps above)"
