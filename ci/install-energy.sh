#!/usr/bin/env bash
# Installs the energy-table generator's environment (energy/gen/): a Python 3.12 venv with the
# hwcomponents packages at exact versions, and CACTI rebuilt from the wheel's shipped source
# (the wheel's prebuilt binary needs a newer glibc than Debian 12's). Idempotent; run as root or
# as the owner of the repository. The venv goes to $LRPSIM_ENERGY_VENV (default energy/gen/.venv,
# gitignored).
#
# Python 3.12: Debian 12 packages only 3.11; these machines carry pyenv's 3.12 beside it
# (/root/.pyenv/versions/3.12.*). Without a python3.12 this script says so and exits 0, and the
# table check in ci/test.sh then says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}
pins=(hwcomponents==1.0.114 hwcomponents-cacti==1.0.40 hwcomponents-library==1.0.58
  hwcomponents-neurosim==1.0.43 PyYAML==6.0.2)

py312=""
for c in python3.12 /root/.pyenv/versions/3.12.*/bin/python3.12 /usr/local/bin/python3.12; do
  if p=$(command -v "$c" 2>/dev/null) && "$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    py312=$p
    break
  fi
done
if [ -z "$py312" ]; then
  echo "install-energy: no python3.12 on this machine (Debian 12 packages 3.11 only); energy tables will not be regenerated"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  "$py312" -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"

# Rebuild CACTI with the system g++ unless this venv's binary already runs.
cacti_dir=$("$venv/bin/python" -c 'import hwcomponents_cacti, os; print(os.path.join(os.path.dirname(hwcomponents_cacti.__file__), "cacti"))')
if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
  apt-get -o APT::Sandbox::User=root -qq install -y --no-install-recommends g++ make >/dev/null
fi
if ldd "$cacti_dir/cacti" 2>&1 | grep -q "not found" || [ ! -f "$cacti_dir/.lrpsim-built" ]; then
  echo "install-energy: building CACTI in $cacti_dir"
  (cd "$cacti_dir" && make clean >/dev/null && make -j"$(nproc)" >/dev/null 2>&1)
  touch "$cacti_dir/.lrpsim-built"
fi
echo "install-energy: $venv ready ($("$venv/bin/python" --version), CACTI built)"
