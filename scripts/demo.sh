#!/usr/bin/env bash
# The main job on one model (default: the built-in majority model): check
# it, then evaluate the reference on a few strings.  `make demo` runs it.
set -euo pipefail
MODEL=${1:-models/majority.json}
TC0C=${TC0C:-build/tc0c}

echo "== tc0c check $MODEL"
summary=$($TC0C check "$MODEL")
echo "$summary"
vocab=$(echo "$summary" | sed -n 's/^ *vocab {\([^}]*\)}.*/\1/p' | tr -d ',')
a=${vocab:0:1}; b=${vocab:1:1}
echo "== tc0c run on a few strings"
for s in "$a" "$b" "$a$b$b" "$b$a$a" "$a$a$b$b" "$a$b$a$b$b" "$b$b$b$a$a$a$a"; do
  printf '  %-10s -> %s\n' "$s" "$($TC0C run "$MODEL" "$s")"
done
