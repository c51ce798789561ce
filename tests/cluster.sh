#!/usr/bin/env bash
# Sweeps on a private Slurm cluster (docs/cluster.md): starts it
# (scripts/cluster.sh), runs the same sweeps with RUNNER=slurm and
# RUNNER=local and compares their results byte for byte (the verify /
# lut4 matrix, 2 models x 2 n x {verify, lut4}; Icarus simulations;
# verify split into seeded shards; the scaling study's table), checks
# that a failed job is
# reported (non-zero exit, its log named) and that a re-run resubmits
# only what is missing, then stops the cluster and checks that no daemon
# is left running.  Needs root, slurm-wlm and munge (make deps).
# usage: tests/cluster.sh TC0C_BINARY   (the asan binary: the matrix only)
# shellcheck disable=SC2054  # commas inside arguments (--ns 4,8), not between elements
set -u
cd "$(dirname "$0")/.." || exit 1
T=$(realpath "${1:-build/tc0c}")
PY=/usr/bin/python3
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if "$@"; then ok; else bad "$CHECK"; fi; }
reduced=0
[[ $T == *asan* ]] && reduced=1
W=$(pwd)/build/cluster-test/$([ $reduced = 1 ] && echo asan || echo normal)
# a cluster of its own, beside any that scripts/cluster.sh started for sweeps
export TC0C_CLUSTER_DIR=$W/cluster
C=$TC0C_CLUSTER_DIR
# a cluster an interrupted run of this test left behind is stopped first
[ -f "$C/run/netns.pid" ] && scripts/cluster.sh stop >/dev/null 2>&1
rm -rf "$W"
mkdir -p "$W"

finish() {
  scripts/cluster.sh stop >"$W/stop.log" 2>&1 || { cat "$W/stop.log"; bad "cluster stop"; }
  # nothing left: the recorded daemons, and no process naming our directory
  local left=""
  for f in "$C"/run/*.pid; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && left+=" $(basename "$f" .pid):$(cat "$f")"
  done
  left+=$(pgrep -af -- "$C/" | sed 's/^/ /')
  for d in slurmctld slurmd slurmstepd munged; do
    for p in $(pgrep -x "$d"); do
      grep -qx "$p" <<<"$before_daemons" || left+=" $d:$p"
    done
  done
  if [ -z "$left" ]; then ok; else bad "left running after stop:$left"; fi
  echo "cluster: $pass passed, $fail failed"
  [ "$fail" -eq 0 ] || exit 1
  exit 0
}

if [ "$(id -u)" -ne 0 ] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  bad "needs root, slurm-wlm and munge (make deps)"
  echo "cluster: $pass passed, $fail failed"
  exit 1
fi
# daemons of these names that were running before (a system munged started
# by the package's init script, say) are not ours to account for
before_daemons=$(for d in slurmctld slurmd slurmstepd munged; do pgrep -x "$d"; done | sort)
trap 'exit 1' INT TERM
trap 'finish' EXIT

if scripts/cluster.sh start >"$W/start.log" 2>&1; then ok; else cat "$W/start.log"; bad "cluster start"; exit 1; fi
# the node offers the machine's CPUs and memory
cpus=$(scripts/cluster.sh exec sinfo -h -o %c)
CHECK="sinfo CPUs '$cpus' != nproc $(nproc)"; check [ "$cpus" = "$(nproc)" ]
# the daemons listen in a namespace whose only interface is lo
ifs=$(scripts/cluster.sh exec ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
CHECK="namespace interfaces: '$ifs'"; check [ "$ifs" = "lo " ]

same_results() { # dir1 dir2: the same result files, byte for byte
  local a=$1 b=$2 f n=0
  for f in "$a"/results/*.json; do
    [[ $f == *.cost.json ]] && continue
    cmp -s "$f" "$b/results/$(basename "$f")" || { echo "differs: $(basename "$f")"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -ge "${3:-1}" ] && [ "$(ls "$a"/results | wc -l)" = "$(ls "$b"/results | wc -l)" ]
}

# 1. the matrix: 2 models x 2 n x {verify, lut4}, slurm and local
MX=(scripts/regress.py matrix --models dyck1,parity --ns 4,8 --no-ref --no-cache --tc0c "$T")
$PY "${MX[@]}" --runner slurm --sweep-dir "$W/slurm" >"$W/slurm.out" 2>&1
rc=$?
CHECK="matrix RUNNER=slurm: rc=$rc $(tail -n 5 "$W/slurm.out")"; check [ $rc -eq 0 ]
CHECK="matrix RUNNER=slurm: one array per job type"
check [ "$(grep -c 'submitted 4 .* jobs as array' "$W/slurm.out")" -eq 2 ]
CHECK="matrix RUNNER=slurm: no afterok collector"; check grep -q 'collector .* (afterok)' "$W/slurm.out"
CHECK="matrix RUNNER=slurm: no squeue progress"; check grep -q 'squeue: 8/8 done' "$W/slurm.out"
$PY "${MX[@]}" --runner local -j 2 --sweep-dir "$W/local" >"$W/local.out" 2>&1
rc=$?
CHECK="matrix RUNNER=local: rc=$rc $(tail -n 5 "$W/local.out")"; check [ $rc -eq 0 ]
CHECK="matrix: slurm and local results differ"; check same_results "$W/slurm" "$W/local" 8
CHECK="matrix: summaries differ"; check cmp -s "$W/slurm/summary.md" "$W/local/summary.md"
CHECK="matrix: summary lacks a verified line"; check grep -q 'dyck1 n=8: circuit = reference on 256 (all) strings' "$W/local/summary.md"
# the jobs ran where they say: array tasks on the node, with their Slurm ids
CHECK="matrix: status files without Slurm job ids"
check $PY -c "import json,glob,sys; s=[json.load(open(f)) for f in glob.glob(sys.argv[1]+'/status/[vl]*.json')]; \
sys.exit(0 if len(s)==8 and all(x['slurm_job'] and '_' in x['slurm_job'] for x in s) else 1)" "$W/slurm"

# 2. a failed job: a broken model (a layer of unknown kind) fails its two
# jobs; the runner exits non-zero and names each failed job's log
sed 's/"uniform"/"no_such_kind"/' models/dyck1.json >"$W/broken.json"
BX=(scripts/regress.py matrix --models parity,"$W/broken.json" --ns 4,8 --kinds verify --tc0c "$T" --runner slurm --sweep-dir "$W/fail")
$PY "${BX[@]}" >"$W/fail.out" 2>&1
rc=$?
CHECK="failed job: rc=$rc, want non-zero"; check [ $rc -ne 0 ]
nf=$(grep -c 'job verify_broken_n[48] FAILED (exit 2); log: .*/logs/verify_broken_n[48].log' "$W/fail.out")
CHECK="failed jobs not reported with their logs ($nf of 2): $(cat "$W/fail.out")"; check [ "$nf" -eq 2 ]
log=$(sed -n 's/.*job verify_broken_n4 FAILED.*log: \(.*\)$/\1/p' "$W/fail.out")
CHECK="the named log '$log' does not hold tc0c's error"; check grep -q 'broken.json' "$log"
CHECK="collector ran despite failed jobs"; check [ ! -f "$W/fail/summary.md" ]
# 3. re-run after the fix: only the two failed jobs are submitted again
cp models/dyck1.json "$W/broken.json"
stamp() { stat -c '%n %i %Y' "$W"/fail/results/verify_parity_n*.json; }
before=$(stamp)
$PY "${BX[@]}" >"$W/rerun.out" 2>&1
rc=$?
CHECK="re-run: rc=$rc $(tail -n 5 "$W/rerun.out")"; check [ $rc -eq 0 ]
CHECK="re-run did not submit exactly the 2 failed jobs: $(grep submitted "$W/rerun.out")"
check grep -q 'submitted 2 verify jobs as array .*--array=[0-9]' "$W/rerun.out"
CHECK="re-run: '4 jobs, 2 done, 2 to run' missing"; check grep -q '4 jobs, 2 done, 2 to run' "$W/rerun.out"
CHECK="re-run rewrote results of jobs that were done"; check [ "$(stamp)" = "$before" ]
# a second re-run submits nothing but the collector
$PY "${BX[@]}" >"$W/rerun2.out" 2>&1
rc=$?
CHECK="re-run with nothing missing: rc=$rc $(cat "$W/rerun2.out")"
check eval '[ $rc -eq 0 ] && ! grep -q "jobs as array" "$W/rerun2.out" && grep -q "4 jobs, 4 done, 0 to run" "$W/rerun2.out"'

if [ $reduced = 0 ]; then
  # simulation jobs (Icarus) through both runners
  SMX=(scripts/regress.py matrix --models parity,dyck1 --ns 4 --kinds sim --sims icarus --styles thr,cells --tc0c "$T")
  $PY "${SMX[@]}" --runner slurm --sweep-dir "$W/sim-slurm" >"$W/sim-slurm.out" 2>&1
  r1=$?
  $PY "${SMX[@]}" --runner local --sweep-dir "$W/sim-local" >"$W/sim-local.out" 2>&1
  r2=$?
  CHECK="sim matrix: rc $r1/$r2 $(tail -n 3 "$W/sim-slurm.out" "$W/sim-local.out")"; check eval '[ $r1 -eq 0 ] && [ $r2 -eq 0 ]'
  CHECK="sim matrix: slurm and local results differ"; check same_results "$W/sim-slurm" "$W/sim-local" 4
  CHECK="sim matrix: summary"; check grep -q 'icarus, cells gates, combinational: 16 vectors, 0 mismatches' "$W/sim-local/summary.md"
fi

# 4. submit and return (--no-wait), then the same command again: the
# queued tasks are waited for, not submitted twice
NX=(scripts/regress.py matrix --models parity --ns 5,6 --kinds verify --tc0c "$T" --runner slurm --sweep-dir "$W/nowait")
$PY "${NX[@]}" --no-wait >"$W/nowait1.out" 2>&1
r1=$?
$PY "${NX[@]}" >"$W/nowait2.out" 2>&1
r2=$?
CHECK="--no-wait then re-run: rc $r1/$r2 $(cat "$W/nowait1.out" "$W/nowait2.out")"
check eval '[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && grep -q "submitted 2 verify jobs" "$W/nowait1.out" &&
  ! grep -q "submitted" "$W/nowait2.out" && grep -q "2 jobs still queued or running" "$W/nowait2.out" &&
  grep -q "parity n=6: circuit = reference on 64 (all) strings" "$W/nowait/summary.md"'

if [ $reduced = 0 ]; then
  # 5. verify of a large n split into seeded shards: slurm = local
  SX=(scripts/regress.py shards dyck1 40 --shards 4 --per-shard 3000 --seed 7 --tc0c "$T")
  $PY "${SX[@]}" --runner slurm --sweep-dir "$W/sh-slurm" >"$W/sh-slurm.out" 2>&1
  r1=$?
  $PY "${SX[@]}" --runner local --sweep-dir "$W/sh-local" >"$W/sh-local.out" 2>&1
  r2=$?
  CHECK="shards: rc $r1/$r2 $(tail -n 3 "$W/sh-slurm.out" "$W/sh-local.out")"; check eval '[ $r1 -eq 0 ] && [ $r2 -eq 0 ]'
  CHECK="shards: slurm and local results differ"; check same_results "$W/sh-slurm" "$W/sh-local" 4
  CHECK="shards: total line"; check grep -q 'dyck1 n=40: circuit = reference on 12,000 random strings in 4 jobs' "$W/sh-local/summary.md"
  # 6. the scaling study through both runners: the same table
  SC=(synth/scaling.py --models parity,dyck1 --ns 4,8 --tc0c "$T" --png "$W/s.png")
  $PY "${SC[@]}" --runner slurm --sweep-dir "$W/sc-slurm" --md "$W/slurm.md" >"$W/sc-slurm.out" 2>&1
  r1=$?
  $PY "${SC[@]}" --runner local --sweep-dir "$W/sc-local" --md "$W/local.md" >"$W/sc-local.out" 2>&1
  r2=$?
  CHECK="scaling: rc $r1/$r2 $(tail -n 3 "$W/sc-slurm.out" "$W/sc-local.out")"; check eval '[ $r1 -eq 0 ] && [ $r2 -eq 0 ]'
  CHECK="scaling: slurm and local tables differ"
  check eval 'cmp -s "$W/slurm.md" "$W/local.md" && grep -q "| parity | 8 | 9 | 72 | 2 / 2 | 3 | 2 |" "$W/local.md"'
fi
# finish (trap): stop the cluster, nothing left running
