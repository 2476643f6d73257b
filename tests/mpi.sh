#!/usr/bin/env bash
# Data-parallel training over Open MPI, where mpicc and mpirun are installed (CI installs them):
# tests/mpi.c (every rule: the ranks' weights bitwise alike and one process's to float rounding, on 2
# and 3 processes); train built with -DTP_MPI against one process; a rank killed mid-run stops the job
# with the checkpoint intact; and the resumed run, on 2 processes or on 1, finishes as the
# uninterrupted one does.
#   tests/mpi.sh [BUILD_DIR]
set -u
build=${1:-build}
. "$(dirname "$0")/lib.sh"
if ! command -v mpicc > /dev/null 2>&1 || ! command -v mpirun > /dev/null 2>&1; then
    say "skip mpi: no mpicc and mpirun (Debian: apt-get install libopenmpi-dev openmpi-bin)"; exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
mpi=(mpirun --oversubscribe)
mpicc -O2 -Wall -Wextra -I. tests/mpi.c -o "$dir/mpi" -lm || { say "FAIL mpi-build: tests/mpi.c"; exit 1; }
mpicc -DTP_MPI -O2 -Wall -Wextra -fopenmp -I. examples/train.c -o "$dir/train-mpi" -lm || { say "FAIL mpi-build: train -DTP_MPI"; exit 1; }
for np in 2 3; do
    "${mpi[@]}" -np $np "$dir/mpi" > "$dir/mpi$np.out" 2>&1; st=$?
    grep -E '^(ok|FAIL) ' "$dir/mpi$np.out" | sed "s/^\(ok\|FAIL\) /\1 np$np-/"
    check "mpi-np$np: every check of tests/mpi.c on $np processes" \
          '[ $st -eq 0 ] && grep -q "^mpi ($np ranks): [0-9]* passed, 0 failed" "$dir/mpi$np.out"'
done

tiny_mnist "$dir/mnist"
common=(--data "$dir/mnist" --arch "28x28x1 lc5x5/4/s3 fc32 fc10" --batch 20 --threads 1 --quiet)
./"$build"/train "${common[@]}" --rule ldrl --epochs 3 --log "$dir/one.csv" > /dev/null 2>&1
"${mpi[@]}" -np 2 "$dir/train-mpi" "${common[@]}" --rule ldrl --epochs 3 --log "$dir/two.csv" --save "$dir/two.ckpt" \
    > "$dir/two.out" 2>&1; st=$?
# float rounding apart (the batch's sums in another order), the same run: losses to 4 digits, the same errors
check "mpi-train: two processes learn as one (L-DRL: noise and feedback iterations), rank 0 alone logging" \
      '[ $st -eq 0 ] && [ "$(cut -d, -f1-5 "$dir/one.csv" | sed -E "s/([0-9]\.[0-9]{4})[0-9]*/\1/g")" = "$(cut -d, -f1-5 "$dir/two.csv" | sed -E "s/([0-9]\.[0-9]{4})[0-9]*/\1/g")" ]'

./"$build"/train "${common[@]}" --rule sdtp --schedule alternating --epochs 2 --log "$dir/one-alt.csv" > /dev/null 2>&1
"${mpi[@]}" -np 3 "$dir/train-mpi" "${common[@]}" --rule sdtp --schedule alternating --epochs 2 --log "$dir/three-alt.csv" \
    > /dev/null 2>&1; st=$?
check "mpi-train-alternating: three processes (6, 7 and 7 rows of 20) learn as one in the alternating schedule" \
      '[ $st -eq 0 ] && [ "$(wc -l < "$dir/three-alt.csv")" -eq 5 ] && [ "$(cut -d, -f1-5,8 "$dir/one-alt.csv" | sed -E "s/([0-9]\.[0-9]{4})[0-9]*/\1/g")" = "$(cut -d, -f1-5,8 "$dir/three-alt.csv" | sed -E "s/([0-9]\.[0-9]{4})[0-9]*/\1/g")" ]'

# a long enough run to kill: 30 epochs of 5 batches, checkpoints every 2 batches
long=("${common[@]}" --rule dtp --epochs 30 --checkpoint-every 2)
"${mpi[@]}" -np 2 "$dir/train-mpi" "${long[@]}" --log "$dir/ref.csv" --checkpoint "$dir/ref-run.ckpt" --save "$dir/ref.ckpt" \
    > /dev/null 2>&1
"${mpi[@]}" -np 2 "$dir/train-mpi" "${long[@]}" --log "$dir/run.csv" --checkpoint "$dir/run.ckpt" --save "$dir/final.ckpt" \
    > "$dir/killed.out" 2>&1 &
pid=$!
for t in $(seq 1 600); do [ -f "$dir/run.ckpt" ] && break; sleep 0.05; done
victim=$(pgrep -n -f "$dir/train-mpi")
[ -n "$victim" ] && kill -9 "$victim"
wait "$pid"; st=$?
check "mpi-rank-killed: a rank killed mid-run stops the job with a non-zero status, its checkpoint intact" \
      '[ $st -ne 0 ] && [ ! -f "$dir/final.ckpt" ] && ./"$build"/inspect "$dir/run.ckpt" --dataset synthetic --batch 4 > /dev/null 2>&1'
cp "$dir/run.ckpt" "$dir/run1.ckpt"; cp "$dir/run.csv" "$dir/run1.csv"
"${mpi[@]}" -np 2 "$dir/train-mpi" "${long[@]}" --log "$dir/run.csv" --checkpoint "$dir/run.ckpt" --save "$dir/final.ckpt" \
    --resume "$dir/run.ckpt" > /dev/null 2>&1; st=$?
check "mpi-resume-2: resumed on 2 processes, the final state byte for byte the uninterrupted run's" \
      '[ $st -eq 0 ] && cmp -s "$dir/ref.ckpt" "$dir/final.ckpt" && [ "$(cut -d, -f1-5 "$dir/ref.csv")" = "$(cut -d, -f1-5 "$dir/run.csv")" ]'
./"$build"/train "${long[@]}" --log "$dir/run1.csv" --checkpoint "$dir/run1.ckpt" --save "$dir/final1.ckpt" \
    --resume "$dir/run1.ckpt" > /dev/null 2>&1; st=$?
check "mpi-resume-1: the same checkpoint resumed by one process finishes the same run (to float rounding)" \
      '[ $st -eq 0 ] && [ "$(cut -d, -f1-5 "$dir/ref.csv" | sed -E "s/([0-9]\.[0-9]{3})[0-9]*/\1/g")" = "$(cut -d, -f1-5 "$dir/run1.csv" | sed -E "s/([0-9]\.[0-9]{3})[0-9]*/\1/g")" ]'
exit $fail
