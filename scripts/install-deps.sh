#!/usr/bin/env bash
# Installs every Debian package tc0c uses.  Idempotent: with --if-missing it
# does nothing when all are present; otherwise it runs apt-get (with sudo
# when not root).  Debian 12 package names.
set -euo pipefail

PACKAGES=(build-essential pkg-config libcjson-dev yosys verilator iverilog
          nextpnr-ice40 fpga-icestorm cppcheck clang clang-tidy clang-format afl++
          python3 python3-matplotlib python3-torch python3-numpy
          slurm-wlm munge)  # clang, afl++: sanitizer build and fuzzing; python3-torch: make train/train-test; slurm-wlm, munge: the private cluster (scripts/cluster.sh)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  [ "${1:-}" = "--if-missing" ] || echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
