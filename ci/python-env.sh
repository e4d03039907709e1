# Sourced, from the repository root, by the scripts that run the project's python (traces/regen.sh
# and the regen scripts under results/): $py is $LRPSIM_PYTHON, else the .venv of
# ci/install-python.sh, else /usr/bin/python3; traces/python is importable; torch and the BLAS
# libraries use one thread each, since their results depend on the thread count.
# shellcheck shell=bash
py=${LRPSIM_PYTHON:-}
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=$PWD/.venv/bin/python; else py=/usr/bin/python3; fi
fi
export PYTHONPATH=traces/python${PYTHONPATH:+:$PYTHONPATH}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
