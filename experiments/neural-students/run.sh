#!/bin/sh
# Train the neural students one after another (in the order of CELLS in
# packages/investigate/scripts/neural/setup.ts unless cells are given), then test each.
# Usage: experiments/neural-students/run.sh [cell ...]     (from the repository root)
# Needs work/ from neural/prepare.ts. Set NEURAL_BLAS_DIR to a directory holding an optimised
# libblas.so.3 (see README.md): Debian's python3-torch calls the system BLAS, and the
# reference implementation is ~70x slower than OpenBLAS.
set -e
cells="$*"
[ -n "$cells" ] || cells="rho1-seed1 control-rho1-seed1 rho0.1-seed1 rho0.05-seed1 rho0.01-seed1 rho0-seed1 rho1-seed2 control-rho1-seed2 rho0.1-seed2 rho0.05-seed2"
logs=experiments/neural-students/work/logs
mkdir -p "$logs"
for c in $cells; do
  LD_LIBRARY_PATH="${NEURAL_BLAS_DIR:-}" OMP_NUM_THREADS=${NEURAL_THREADS:-1} OPENBLAS_NUM_THREADS=${NEURAL_THREADS:-1} /usr/bin/python3 -u experiments/neural-students/train.py "$c" --threads ${NEURAL_THREADS:-1} --budget "${NEURAL_BUDGET:-240}" > "$logs/$c.log" 2>&1
done
