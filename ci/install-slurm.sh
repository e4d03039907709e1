#!/usr/bin/env bash
# Installs a single-node Slurm (Debian 12: Slurm 22.05) and munge for ci/slurm-test.sh. Nothing
# is started or configured here: the test writes its own slurm.conf under a temporary directory
# and starts the daemons itself. Waits for the package lock rather than failing when another
# process holds it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o APT::Sandbox::User=root -o DPkg::Lock::Timeout=600 -qq)
apt-get "${apt_opts[@]}" install -y --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
echo "installed: $(dpkg-query -W -f '${Package} ${Version} ' slurmctld slurmd slurm-client munge)"
