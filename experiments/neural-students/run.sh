#!/bin/sh
# Train the neural students one after another (in the order of CELLS in
# packages/investigate/scripts/neural/setup.ts unless cells are given); with NEURAL_TEST=1 test
# each student as soon as it is trained (open-model test, then the closed-model test at
# NEURAL_QUERIES, default 100). Two of these can run side by side on disjoint cells.
# Usage: experiments/neural-students/run.sh [cell ...]     (from the repository root)
# Needs work/ from neural/prepare.ts. Set NEURAL_BLAS_DIR to a directory holding an optimised
# libblas.so.3 (see README.md): Debian's python3-torch calls the system BLAS, and the
# reference implementation is ~5x slower than OpenBLAS here.
# Training stops at NEURAL_STEPS steps (the schedule follows the steps, so pausing a run with
# SIGSTOP/SIGCONT does not change the model); NEURAL_BUDGET is only a wall-clock safety cap.
set -e
cells="$*"
[ -n "$cells" ] || cells=$(node --conditions=source --import tsx -e "import('./packages/investigate/scripts/neural/setup.ts').then((m) => console.log(m.CELLS.map((c) => c.name).join(' ')))")
logs=experiments/neural-students/work/logs
mkdir -p "$logs"
tsx="node --conditions=source --import tsx"
for c in $cells; do
  # a student already trained is kept (resume after a stop); NEURAL_RETRAIN=1 trains it again
  [ -f "experiments/neural-students/work/students/$c/metrics.json" ] && [ "${NEURAL_RETRAIN:-0}" != 1 ] || \
  LD_LIBRARY_PATH="${NEURAL_BLAS_DIR:-}" OMP_NUM_THREADS=${NEURAL_THREADS:-1} OPENBLAS_NUM_THREADS=${NEURAL_THREADS:-1} nice -n 10 /usr/bin/python3 -u experiments/neural-students/train.py "$c" --threads ${NEURAL_THREADS:-1} --steps "${NEURAL_STEPS:-4000}" --budget "${NEURAL_BUDGET:-3600}" > "$logs/$c.log" 2>&1
  if [ "${NEURAL_TEST:-0}" = 1 ]; then
    nice -n 10 $tsx packages/investigate/scripts/neural-students.ts open "$c" > "$logs/$c.open.log" 2>&1
    nice -n 10 $tsx packages/investigate/scripts/neural-students.ts closed "$c" --queries "${NEURAL_QUERIES:-100}" --max-tokens 48 > "$logs/$c.closed.log" 2>&1
  fi
done
