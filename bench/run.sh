#!/usr/bin/env bash
# Runs every benchmark: each bench/bench_*.c, built with the Makefile's
# flags against the library objects in build/obj (run `make` first), and
# each bench/*.sh other than this one.  Every output line of the form
# "name: value unit" is a figure; they are printed and written to
# build/bench/results.json as {"name": {"value": V, "unit": "U"}, ...}.
# Exits non-zero when a benchmark fails or prints no figures.
set -u
cd "$(dirname "$0")/.."

CC=${CC:-cc}
CJSON_CFLAGS=$(pkg-config --cflags libcjson 2>/dev/null)
CJSON_LIBS=$(pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
FLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -O2 -g $CJSON_CFLAGS -D_POSIX_C_SOURCE=200809L"

out=build/bench
mkdir -p "$out"
# The library objects: one per compiler/*.c but main.c, as in the Makefile.
objs=()
for src in compiler/*.c; do
  [ "$src" = compiler/main.c ] && continue
  obj="build/obj/$(basename "$src" .c).o"
  [ -f "$obj" ] || { echo "bench: $obj is missing: run 'make' first" >&2; exit 1; }
  objs+=("$obj")
done

figures="$out/figures.txt"
: >"$figures"
status=0
run_one() { # name command...
  local name=$1; shift
  local log="$out/$name.log" t0=$SECONDS
  echo "== $name" >&2
  "$@" >"$log" 2>&1
  local rc=$?
  # name: value unit  (value a decimal or scientific number, unit one word)
  local lines
  lines=$(grep -E '^[A-Za-z0-9_.-]+: -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)? [^ ]+$' "$log")
  if [ $rc -ne 0 ] || [ -z "$lines" ]; then
    echo "bench: $name failed (exit $rc):" >&2
    sed 's/^/    /' "$log" >&2
    status=1
  fi
  [ -n "$lines" ] && { echo "$lines"; echo "$lines" >>"$figures"; }
  echo "   ($name: $((SECONDS - t0)) s)" >&2
}

for src in bench/bench_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  # shellcheck disable=SC2086
  if ! $CC $FLAGS -Icompiler "$src" "${objs[@]}" -o "$out/$name" $CJSON_LIBS -lm; then
    echo "bench: $src does not build" >&2
    status=1
    continue
  fi
  run_one "$name" "$out/$name"
done
for s in bench/*.sh; do
  [ "$s" = bench/run.sh ] && continue
  [ -e "$s" ] || continue
  run_one "$(basename "$s" .sh)" bash "$s"
done

# results.json; a later figure of the same name wins.
awk '
  { name = substr($1, 1, length($1) - 1); val[name] = $2; unit[name] = $3
    if (!(name in seen)) { seen[name] = 1; order[n++] = name } }
  END {
    printf "{"
    for (i = 0; i < n; i++) {
      u = unit[order[i]]; gsub(/\\/, "\\\\", u); gsub(/"/, "\\\"", u)
      printf "%s\n  \"%s\": {\"value\": %s, \"unit\": \"%s\"}", (i ? "," : ""), order[i], val[order[i]], u
    }
    printf "%s}\n", (n ? "\n" : "")
  }' "$figures" >"$out/results.json"
echo "bench: $(wc -l <"$figures") figures in $out/results.json" >&2
exit $status
