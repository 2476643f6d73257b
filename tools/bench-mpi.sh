#!/usr/bin/env bash
# Examples/s of one training epoch cut short: 1 process x 1 thread, 1 x 2 threads and 2 processes x 1
# thread (train built with -DTP_MPI), MNIST FC and LC, BP and DTP, the best of three runs each, as CSV.
#   make train && make train-mpi && tools/bench-mpi.sh > results/bench-mpi.csv
# Needs MNIST in data/mnist (make data) and Open MPI (mpirun). Stop other work on the machine first.
set -eu
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "net,rule,processes_x_threads,examples_per_s"
for net in mnist-fc mnist-lc; do for rule in bp dtp; do
    mb=$([ $net = mnist-fc ] && echo 200 || echo 40)
    args=(--arch $net --rule $rule --epochs 1 --max-batches $mb --quiet --log "$log")
    for cfg in 1x1 1x2 2x1; do
        best=0
        for round in 1 2 3; do
            case $cfg in
                1x1) ./build/train "${args[@]}" --threads 1 > /dev/null ;;
                1x2) ./build/train "${args[@]}" --threads 2 > /dev/null ;;
                2x1) mpirun -np 2 --bind-to core ./build/train-mpi "${args[@]}" --threads 1 > /dev/null 2>&1 ;;
            esac
            best=$(awk -F, -v b="$best" 'END { print ($7 > b ? $7 : b) }' "$log")
        done
        echo "$net,$rule,$cfg,$best"
    done
done; done
