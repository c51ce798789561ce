#!/usr/bin/env bash
# The main job of tc0c on one model (default: models/majority.json, n = 8):
# check the model, run the reference on a few strings, compile the threshold
# circuit, verify it against the reference, write its Verilog (and the
# arithmetic reference RTL), and simulate the Verilog in Verilator against
# the reference.  `make demo [MODEL=...] [N=...]` runs it.
set -euo pipefail
MODEL=${1:-models/majority.json}
N=${2:-8}
TC0C=${TC0C:-build/tc0c}
name=$(basename "$MODEL" .json)
out=build/demo/$name
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "1. check the model: $TC0C check $MODEL"
summary=$($TC0C check "$MODEL")
echo "$summary"
vocab=$(echo "$summary" | sed -n 's/^ *vocab {\([^}]*\)}.*/\1/p' | tr -d ',')
a=${vocab:0:1}; b=${vocab:1:1}; b=${b:-$a}

step "2. the reference evaluator: $TC0C run $MODEL STRING"
for s in "$a" "$b" "$a$b$b" "$b$a$a" "$a$a$b$b" "$a$b$a$b$b" "$b$b$b$a$a$a$a"; do
  printf '  %-10s -> %s\n' "$s" "$($TC0C run "$MODEL" "$s")"
done

step "3. compile for n = $N: $TC0C compile $MODEL -n $N -o $out --emit-ref"
$TC0C compile "$MODEL" -n "$N" -o "$out" --emit-ref --quiet
echo "  wrote $out/${name}_n$N.v, ${name}_n${N}_ref.v, ${name}_n$N.stats.json"

step "4. verify circuit = reference: $TC0C verify $MODEL -n $N"
$TC0C verify "$MODEL" -n "$N" --quiet

step "5. simulate the Verilog in Verilator against the reference (pipelined, K = 1)"
if [ -x sim/sim.sh ] && command -v verilator >/dev/null; then
  sim/sim.sh "$MODEL" "$N" 1 verilator thr
else
  echo "  skipped: verilator or sim/sim.sh missing (run 'make deps')" >&2
  exit 1
fi

step "summary"
python3 - "$out/${name}_n$N.stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  {s['model']} at n = {s['n']}: {s['gates']} threshold gates, depth {s['depth']} "
      f"(paper bound {s['paper_depth_bound']}), {s['edges']} edges, max fan-in {s['max_fanin']}")
PY
