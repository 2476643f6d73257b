#!/usr/bin/env bash
# The hard edges of the example programs (issue 16): crafted checkpoints, write errors on every output,
# output paths checked at start-up, a loss that explodes while finite, strict command lines, what a
# user sees (epoch numbering, progress bar), threads under load, and the shape of train.c.
#   tests/edges.sh [BUILD_DIR]      (run from the repository's top directory; tests/examples.sh calls it)
set -u
build=${1:-build}
. "$(dirname "$0")/lib.sh"
train=$build/train
loud=(--dataset synthetic --synthetic-n 512 --arch "8x8x1 fc16 fc10" --batch 16 --threads 1)
syn=("${loud[@]}" --quiet)

# a tiny MNIST in IDX files (100 training and 20 test images, every digit) for the programs that read MNIST
tiny_mnist "$dir/mnist"
"$train" --data "$dir/mnist" --arch "784 fc16 fc10" --batch 10 --epochs 1 --threads 1 --quiet > "$dir/fake.txt" 2>&1
check "fake-mnist: the tiny MNIST of this test loads and trains" '[ $? -eq 0 ]'

# --- 1. a checkpoint intact as a file (valid CRC) but with a wrong run record is refused
edit=$build/ckpt-edit
[ -x "$edit" ] && [ "$edit" -nt tests/ckpt-edit.c ] || cc -O1 -Wall -Wextra -I. tests/ckpt-edit.c -o "$edit" -lm || exit 1
"$train" "${syn[@]}" --epochs 2 --checkpoint "$dir/mid.ckpt" --checkpoint-every 5 --max-batches 7 > /dev/null 2>&1 &
pid=$!
"$train" "${syn[@]}" --epochs 1 --checkpoint "$dir/good.ckpt" > /dev/null 2>&1
wait "$pid"
cp "$dir/good.ckpt" "$dir/ok.ckpt"
"$train" "${syn[@]}" --epochs 2 --resume "$dir/ok.ckpt" > "$dir/ok.txt" 2>&1
check "resume-control: the unedited checkpoint resumes (exit status $?)" '[ $? -eq 0 ]'
for edit_case in "step -3" "step 0" "step 99" "batch 99999" "batch -1" "batches 5" "batch_size 100000" "max_batch 2000000000" \
                 "wrong 5" "loss -1" "loss nan" "inv inf" "best 48.76" "start -7" "seen -2" "magic tp-run0"; do
    read -r field value <<< "$edit_case"
    cp "$dir/good.ckpt" "$dir/bad.ckpt"
    "$edit" "$dir/bad.ckpt" "$field" "$value"
    out=$("$train" "${syn[@]}" --epochs 2 --resume "$dir/bad.ckpt" 2>&1); rc=$?
    check "resume-$field=$value: refused (exit status $rc): $(printf '%s' "$out" | head -n 1 | cut -c1-150)" \
          '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q -- "--resume $dir/bad.ckpt"'
done
# a rule whose feedback loss is negative (L-DRL's): a checkpoint taken mid-epoch with a negative
# running sum of it resumes (made from an epoch's end by moving its record 3 batches on)
neg=("${syn[@]}" --rule ldrl)
"$train" "${neg[@]}" --epochs 1 --checkpoint "$dir/neg.ckpt" > /dev/null 2>&1
"$edit" "$dir/neg.ckpt" batch 3; "$edit" "$dir/neg.ckpt" loss 6.9; "$edit" "$dir/neg.ckpt" inv -0.3
out=$("$train" "${neg[@]}" --epochs 2 --resume "$dir/neg.ckpt" --log "$dir/neg.csv" 2>&1); rc=$?
check "resume-negative-feedback-loss: an L-DRL checkpoint with a negative running feedback loss resumes (exit status $rc, epoch 2's inverse loss $(tail -n 1 "$dir/neg.csv" 2>/dev/null | cut -d, -f9))" \
      '[ "$rc" -eq 0 ] && tail -n 1 "$dir/neg.csv" | cut -d, -f9 | grep -q "^-"'
cp "$dir/mid.ckpt" "$dir/bad.ckpt"; "$edit" "$dir/bad.ckpt" wrong 100000
out=$("$train" "${syn[@]}" --epochs 2 --max-batches 7 --resume "$dir/bad.ckpt" 2>&1); rc=$?
check "resume-mid-epoch-wrong: more errors than examples seen mid-epoch is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "errors in"'
out=$("$train" "${syn[@]}" --epochs 2 --resume "$dir/mid.ckpt" 2>&1); rc=$?
check "resume-other-max-batches: a mid-epoch checkpoint resumed without its --max-batches is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "batches per epoch"'

# --- 2. write errors fail loudly, naming the file; the log is rewritten atomically and checked on resume
out=$("$train" "${syn[@]}" --epochs 1 --log /dev/full 2>&1); rc=$?
check "write-log: --log /dev/full fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "/dev/full"'
out=$( (ulimit -f 8; trap "" XFSZ; "$train" --dataset synthetic --synthetic-n 256 --arch "16x16x1 fc64 fc10" --batch 16 \
        --threads 1 --quiet --epochs 2 --checkpoint "$dir/big.ckpt") 2>&1); rc=$?
check "write-checkpoint: a checkpoint that cannot be written (file size limit) fails (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "big.ckpt"'
out=$( (ulimit -f 8; trap "" XFSZ; "$train" --dataset synthetic --synthetic-n 256 --arch "16x16x1 fc64 fc10" --batch 16 \
        --threads 1 --quiet --epochs 1 --save "$dir/big2.ckpt") 2>&1); rc=$?
check "write-save: --save that cannot be written fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "big2.ckpt"'
"$train" "${syn[@]}" --rule dtp --schedule alternating --epochs 2 --log "$dir/alt.csv" > /dev/null 2>&1
out=$("$build/plot" -o /dev/full "$dir/alt.csv" 2>&1); rc=$?
check "write-plot-svg: plot -o /dev/full fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "/dev/full"'
sargs=(--dataset synthetic --arch "8x8x1 fc16 fc10" --rule sdtp --trials 1 --epochs 1 --batch 32 --threads 1)
mkdir -p "$dir/sf"; ln -s /dev/full "$dir/sf/trial-000.csv"
out=$("$build/search" "${sargs[@]}" --dir "$dir/sf" 2>&1); rc=$?
check "write-search-log: a trial log that cannot be written fails (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "trial-000.csv"'
"$build/search" "${sargs[@]}" --dir "$dir/ss" > /dev/null 2>&1
out=$("$build/search" --summary --dir "$dir/ss" --out /dev/full 2>&1); rc=$?
check "write-search-svg: the histogram to /dev/full fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "/dev/full"'
rm -f "$dir/ss/summary.csv"; ln -s /dev/full "$dir/ss/summary.csv"
out=$("$build/search" --summary --dir "$dir/ss" --out "$dir/h.svg" 2>&1); rc=$?
check "write-search-summary: summary.csv that cannot be written fails (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "summary.csv"'
aeargs=(--data "$dir/mnist" --rules bp --epochs 1 --batch 10 --max-batches 2 --threads 1)
for f in autoencoder.csv autoencoder.svg reconstructions.png; do
    rm -rf "$dir/ae"; mkdir -p "$dir/ae"; ln -s /dev/full "$dir/ae/$f"
    out=$("$build/autoencoder" "${aeargs[@]}" --out "$dir/ae" 2>&1); rc=$?
    check "write-autoencoder-$f: fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "$f"'
done
swargs=(--data "$dir/mnist" --arch "784 fc16 fc10" --sizes 0,4 --epochs 1 --batch 10 --max-batches 2 --threads 1 --lr 1e-3 --inverse-lr 1e-3 --sigma 0.1)
for f in aux_sweep.csv aux_sweep.svg; do
    rm -rf "$dir/sw"; mkdir -p "$dir/sw"; ln -s /dev/full "$dir/sw/$f"
    out=$("$build/aux_sweep" "${swargs[@]}" --out "$dir/sw" 2>&1); rc=$?
    check "write-aux-sweep-$f: fails (exit status $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "$f"'
done
# the log of a resumed run: rewritten by rename, cut short refused, a new log gets the header
largs=("${syn[@]}" --rule dtp --schedule alternating)
"$train" "${largs[@]}" --epochs 2 --checkpoint "$dir/l.ckpt" --log "$dir/l.csv" > /dev/null 2>&1
cp "$dir/l.csv" "$dir/l-full.csv"
inode=$(stat -c %i "$dir/l.csv")
"$train" "${largs[@]}" --epochs 3 --resume "$dir/l.ckpt" --checkpoint "$dir/l.ckpt" --log "$dir/l.csv" > /dev/null 2>&1; rc=$?
check "log-rename: a resume rewrites the log as a new file, renamed over it (exit status $rc, 6 rows, no .tmp)" \
      '[ "$rc" -eq 0 ] && [ "$(stat -c %i "$dir/l.csv")" != "$inode" ] && [ "$(tail -n +2 "$dir/l.csv" | wc -l)" -eq 6 ] &&
       [ ! -e "$dir/l.csv.tmp" ]'
"$train" "${largs[@]}" --epochs 2 --checkpoint "$dir/c.ckpt" > /dev/null 2>&1
head -n 3 "$dir/l-full.csv" > "$dir/cut.csv"; printf '2,2.3' >> "$dir/cut.csv"
out=$("$train" "${largs[@]}" --epochs 3 --resume "$dir/c.ckpt" --log "$dir/cut.csv" 2>&1); rc=$?
check "log-cut-short: a log with 2 of the checkpoint's 4 rows is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "cut short" && [ "$(wc -l < "$dir/cut.csv")" -eq 3 ]'
sed 's/^2,/7,/' "$dir/l-full.csv" > "$dir/other.csv"
out=$("$train" "${largs[@]}" --epochs 3 --resume "$dir/c.ckpt" --log "$dir/other.csv" 2>&1); rc=$?
check "log-sequence: a log whose rows are not this run's epochs is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "not this run"'
"$train" "${largs[@]}" --epochs 3 --resume "$dir/c.ckpt" --log "$dir/new.csv" > /dev/null 2>&1; rc=$?
"$build/plot" -o "$dir/new.svg" "$dir/new.csv" > "$dir/new.txt" 2>&1; rc2=$?
check "log-new-on-resume: a new log path gets the header first, and plot reads it (exit statuses $rc, $rc2)" \
      '[ "$rc" -eq 0 ] && [ "$rc2" -eq 0 ] && head -n 1 "$dir/new.csv" | grep -q "^epoch,train_loss"'

# --- 3. output paths into a missing directory fail at start-up
for opt in --checkpoint --save --log; do
    out=$("$train" "${syn[@]}" --epochs 1 $opt "$dir/missing/x.out" 2>&1); rc=$?
    check "start-up$opt: a missing directory is refused before training (exit status $rc)" \
          '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q -- "$opt $dir/missing/x.out: the directory"'
done
out=$("$train" "${syn[@]}" --epochs 1 --checkpoint /dev/null 2>&1); rc=$?
check "start-up-not-regular: --checkpoint /dev/null (replaced by rename) is refused (exit status $rc)" \
      '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q "a device"'

# --- 4. a loss that explodes while finite stops the run (exit status 3), keeping the last good checkpoint
dargs=(--dataset synthetic --synthetic-n 2048 --arch "16x16x1 fc64 fc64 fc10" --batch 32 --threads 1 --quiet --epochs 3)
for bad in "--lr 1e6" "--sgd --lr 1e20"; do
    cp "$dir/good.ckpt" "$dir/keep.ckpt"
    out=$("$train" "${dargs[@]}" $bad --checkpoint "$dir/keep.ckpt" 2>&1); rc=$?
    check "diverge$(printf '%s' "$bad" | tr ' ' '_'): stopped (exit status $rc), checkpoint kept: $(printf '%s' "$out" | head -n 1 | cut -c1-120)" \
          '[ "$rc" -eq 3 ] && printf "%s" "$out" | grep -q "exploded" && cmp -s "$dir/good.ckpt" "$dir/keep.ckpt"'
done
"$train" "${dargs[@]}" > /dev/null 2>&1
check "diverge-none: the same net with the default learning rate runs to the end (exit status $?)" '[ $? -eq 0 ]'

# --- 5. the command line: empty values, signs, ranges, --opt=value, names in any case
bad_args=("--lr ''" "--epochs ''" "--seed -1" "--seed 18446744073709551616" "--seed +3" "--threads 0" "--threads 1000"
          "--lr 1e-3x" "--lr nan" "--lr inf" "--lr 1e39" "--epochs 1e3" "--epochs 99999999999999999999" "--epochs ' 2'"
          "--batch 0x10" "--quiet=1" "--rule dpt" "--schedule sideways" "--hparams table4" "--lr" "--bogus 1"
          "--iters 0" "--iters 2.5" "--inverse-decay 1")
for b in "${bad_args[@]}"; do
    out=$(eval "\"$train\" \"\${syn[@]}\" --epochs 1 $b" 2>&1); rc=$?
    opt=$(printf '%s' "$b" | cut -d' ' -f1 | cut -d= -f1)
    check "args $b: refused (exit status $rc): $(printf '%s' "$out" | head -n 1)" \
          '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q -- "$opt"'
done
"$train" "${syn[@]}" --epochs=1 --lr=0.001 --rule=DTP --schedule Alternating --seed 18446744073709551615 > /dev/null 2>&1
check "args-accepted: --opt=value, names in any case, the largest seed (exit status $?)" '[ $? -eq 0 ]'
"$train" --data "$dir/mnist" --dataset MNIST --arch MNIST-FC --rule SDTP --epochs 1 --max-batches 1 --batch 10 --threads 1 --quiet \
    > /dev/null 2>&1
check "args-case: --dataset MNIST --arch MNIST-FC --rule SDTP (exit status $?)" '[ $? -eq 0 ]'
out=$("$train" --data "$dir/mnist" --arch cifar-fc --epochs 1 --threads 1 2>&1); rc=$?
check "args-arch-mismatch: cifar-fc on MNIST names both sides (exit status $rc): $out" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q -- "--arch cifar-fc takes 32x32x3 = 3072 inputs.*--dataset mnist has 28x28x1 = 784"'
for prog_args in "search --seed -1" "search --threads 0" "search --trials ''" "plot --color 1x" "plot --ymax=inf" \
                 "autoencoder --threads 1000" "autoencoder --seed 1.5" "aux_sweep --sizes 1,,2" "aux_sweep --epochs=" \
                 "autoencoder --epochs 2x"; do
    out=$(eval "\"$build/\"$prog_args" 2>&1 < /dev/null); rc=$?
    check "args $prog_args: refused (exit status $rc): $(printf '%s' "$out" | head -n 1)" '[ "$rc" -ne 0 ] && [ "$rc" -ne 139 ]'
done

out=$("$train" "${syn[@]}" --epochs 1 --rule kp --iters 2 2>&1); rc=$?
check "args-kp-iters: Kolen-Pollack takes one feedback step per batch, said (exit status $rc): $out" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "iters 2"'
"$train" "${loud[@]}" --rule ddtp --schedule interleaved --epochs 2 --iters 2 --inverse-decay 1e-4 --log "$dir/inter.csv" \
    > "$dir/inter.txt" 2>&1
check "args-interleaved: ddtp interleaved, 2 forward epochs after feedback-only ones: phases inverse, parallel twice" \
      '[ "$(tail -n +2 "$dir/inter.csv" | cut -d, -f8 | tr "\n" " ")" = "inverse parallel inverse parallel " ] &&
       grep -q "2 feedback steps per batch" "$dir/inter.txt" && grep -q "^feedback Adam lr .*, decay 0.0001" "$dir/inter.txt"'

# --- 6. what a user sees: forward epochs numbered, inverse-only lines marked without a test error
"$train" "${loud[@]}" --rule dtp --schedule alternating --epochs 2 --log "$dir/see.csv" > "$dir/see.txt" 2>&1
check "see-numbering: 2 forward epochs print 4 lines numbered 1, 1, 2, 2; the inverse-only ones without a test error" \
      '[ "$(grep -c "^epoch" "$dir/see.txt")" -eq 4 ] && [ "$(grep "^epoch" "$dir/see.txt" | awk "{print \$2}" | tr "\n" " ")" = "1 1 2 2 " ] &&
       [ "$(grep "^epoch *[0-9]* inverse " "$dir/see.txt" | grep -c "best\|test [0-9 ]")" -eq 0 ]'
check "see-log: the inverse-only rows leave test_error and best_test_error empty" \
      '[ "$(awk -F, "\$8 == \"inverse\" && \$4 == \"\" && \$5 == \"\"" "$dir/see.csv" | wc -l)" -eq 2 ]'
check "see-no-bar: no progress bar when the output is not a terminal" '! grep -q "ex/s  .* left" "$dir/see.txt" && ! grep -q $'"'"'\r'"'"' "$dir/see.txt"'
check "see-where: the end says where the log is" 'grep -q "^log: *$dir/see.csv" "$dir/see.txt"'
if command -v script > /dev/null; then
    script -qec "$train --dataset synthetic --synthetic-n 20000 --arch '16x16x1 fc64 fc10' --batch 16 --threads 1 --epochs 1 --log $dir/tty.csv" \
        /dev/null > "$dir/tty.txt" 2>&1
    check "see-bar: on a terminal a progress bar with examples/s and the time left, not in the log" \
          'grep -q "ex/s  [0-9]* s left" "$dir/tty.txt" && ! grep -q "left" "$dir/tty.csv"'
fi
ok=1
for f in results/*.csv; do
    head -n 1 "$f" | grep -q "^epoch," || continue
    "$build/plot" -o "$dir/r.svg" "$f" > /dev/null 2>&1 || { ok=0; say "  plot cannot read $f"; }
done
check "see-plot-results: plot reads every training log in results/" '[ "$ok" -eq 1 ]'

# --- 7. threads under load: the default (auto) is not slower than one thread with two CPU hogs
# running. A timing, so not part of make test (speed is measured, not asserted, there): run it
# on a quiet machine with LOAD_TEST=1 tests/edges.sh build
if [ "$(nproc)" -ge 2 ] && [ -n "${LOAD_TEST:-}" ]; then
    targs=(--dataset synthetic --synthetic-n 16384 --arch "28x28x1 fc256x3 fc10" --batch 128 --epochs 2)
    yes > /dev/null & pids+=($!)
    yes > /dev/null & pids+=($!)
    rate() { "$train" "${targs[@]}" "$@" | awk '/^epoch/ { r = $(NF - 1) } END { print r + 0 }'; }
    one=$(rate --threads 1); auto=$(rate)
    kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; pids=()
    check "threads-load: with two CPU hogs, the default ran at $auto examples/s, one thread at $one (at least 85% of it)" \
          'awk -v a="$auto" -v o="$one" "BEGIN { exit !(a >= 0.85 * o) }"'
fi

# --- 8. round two: saves onto what is not a file, a failed last save, messages that name the option
mkdir "$dir/x.ckpt.tmp"
"$train" "${syn[@]}" --epochs 1 --checkpoint "$dir/x.ckpt" > "$dir/lastsave.txt" 2>&1
rc=$?
check "last-save-fails: a checkpoint that cannot be written at the last epoch exits 1 (got $rc), saying why" \
      '[ "$rc" -eq 1 ] && grep -q "x.ckpt.tmp" "$dir/lastsave.txt" && ! grep -q "continue with --resume" "$dir/lastsave.txt"'
rmdir "$dir/x.ckpt.tmp"
: > "$dir/target.ckpt"; ln -s target.ckpt "$dir/link.ckpt"
: > "$dir/target.csv"; ln -s target.csv "$dir/link.csv"
"$train" "${syn[@]}" --epochs 1 --checkpoint "$dir/link.ckpt" --log "$dir/link.csv" > /dev/null 2>&1 &&
"$train" "${syn[@]}" --epochs 2 --resume "$dir/link.ckpt" --checkpoint "$dir/link.ckpt" --log "$dir/link.csv" > /dev/null 2>&1
check "save-through-link: a checkpoint and a log given as symbolic links update their targets, the links kept" \
      '[ -L "$dir/link.ckpt" ] && [ -L "$dir/link.csv" ] && [ -s "$dir/target.ckpt" ] && [ "$(wc -l < "$dir/target.csv")" -eq 3 ]'
mkfifo "$dir/fifo"
for opt in --log --checkpoint --save; do
    out=$(timeout 20 "$train" "${syn[@]}" --epochs 1 "$opt" "$dir/fifo" 2>&1); rc=$?
    check "output-fifo $opt: refused at start-up, not blocked on (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q "a FIFO"'
    out=$("$train" "${syn[@]}" --epochs 1 "$opt" /dev/null 2>&1); rc=$?
    check "output-device $opt: /dev/null refused, not replaced (exit $rc)" '[ "$rc" -eq 2 ] && [ -c /dev/null ]'
done
out=$(timeout 20 "$build/plot" -o "$dir/fifo" results/mnist-fc-bp-parallel.csv 2>&1); rc=$?
check "plot-fifo: plot -o onto a FIFO is refused, not blocked on (exit $rc)" '[ "$rc" -eq 1 ] && printf "%s" "$out" | grep -q "a FIFO"'
out=$("$build/bench" --out /dev/null --nets mnist-fc 2>&1); rc=$?
check "bench-device: bench --out /dev/null is refused at start-up (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q "a device"'
for bad in "--beta1 1:--beta1" "--eps 0:--eps" "--inverse-beta2 1:--inverse-beta2" "--rule kp --schedule interleaved:--schedule"; do
    out=$("$train" "${syn[@]}" --epochs 1 ${bad%%:*} 2>&1)
    check "blame ${bad%%:*}: the message names ${bad##*:}, not --arch: $(printf '%s' "$out" | head -n 1)" \
          'printf "%s" "$out" | grep -q -- "${bad##*:}" && ! printf "%s" "$out" | grep -q -- "--arch"'
done
"$train" "${syn[@]}" --epochs 1 --rule dtp --checkpoint "$dir/r.ckpt" > /dev/null 2>&1
for bad in "--rule bp" "--lr 0.5" "--batch 8" "--seed 9" "--arch 8x8x1-32-10" "--schedule alternating" "--sigma 0.3" \
           "--optimizer momentum" "--schedule-lr cosine" "--l2 0.01" "--normalize" "--inverse-optimizer sgd" "--warmup 1"; do
    out=$("$train" "${syn[@]}" --epochs 2 --resume "$dir/r.ckpt" $bad 2>&1)
    check "resume-conflict ${bad%% *}: refused by name" 'printf "%s" "$out" | grep -q -- "${bad%% *} says otherwise"'
done
"$train" "${syn[@]}" --epochs 2 --resume "$dir/r.ckpt" --rule DTP --batch 16 --arch "8x8x1 fc16 fc10" > /dev/null 2>&1
check "resume-same: the run's own options (in another spelling) are accepted with --resume" '[ $? -eq 0 ]'
"$train" "${syn[@]}" --epochs 1 --rule dtp --optimizer momentum --schedule-lr cosine --warmup 1 --normalize \
    --checkpoint "$dir/rc.ckpt" > /dev/null 2>&1
"$train" "${syn[@]}" --epochs 2 --rule dtp --optimizer momentum --schedule-lr cosine --warmup 1 --normalize \
    --resume "$dir/rc.ckpt" > /dev/null 2>&1
check "resume-same-schedule: a run with momentum, a warm-up, a cosine and normalisation resumes with its own options, and a larger --epochs" '[ $? -eq 0 ]'

# --- recipes and the optimiser options
out=$("$train" "${syn[@]}" --recipe nope 2>&1); rc=$?
check "recipe-unknown: an unknown recipe is refused and the list named (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q -- "--list-recipes"'
out=$("$train" "${syn[@]}" --recipe ernoult2022 --rule fa 2>&1); rc=$?
check "recipe-rule: a recipe without settings for the rule says which rules it has (exit $rc)" \
      '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q "settings for bp, ldrl, not for rule fa"'
out=$("$train" --recipe kao2024 --dataset synthetic --synthetic-n 512 --arch "8x8x3 fc16:elu fc10" --epochs 1 --batch 16 --threads 1 \
      --lr 0.5 2>&1); rc=$?
check "recipe-prints: a recipe prints what it set, and an option after it overrides it (exit $rc)" \
      '[ "$rc" -eq 0 ] && printf "%s" "$out" | grep -q "^recipe kao2024 for bp: --dataset cifar10 .* --lr 1 --clip 1" &&
       printf "%s" "$out" | grep -q "SGD lr 0.5, gradient norm clipped to 1" && printf "%s" "$out" | grep -q "^input  normalised per channel"'
out=$("$train" --list-recipes 2>&1)
check "recipe-list: --list-recipes names each recipe and its options" \
      'printf "%s" "$out" | grep -q "^  ernoult2022 " && printf "%s" "$out" | grep -q "^  kao2024 " && printf "%s" "$out" | grep -q "20,30,35,55,20"'
out=$("$train" "${syn[@]}" --rule ldrl --iters 1,2,3 2>&1); rc=$?
check "layer-list-count: three --iters for a net with two layers of feedback are refused with their numbers (exit $rc)" \
      '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "3 values of the feedback iterations, expected 1: layer 2 is the only one"'
out=$("$train" "${syn[@]}" --milestones 3,2 2>&1); rc=$?
check "milestones-order: milestones that do not ascend are refused (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q ascending'
out=$("$train" "${syn[@]}" --optimizer nesterov --momentum 0 2>&1); rc=$?
check "nesterov-zero: Nesterov momentum 0 is refused as the library refuses it (exit $rc)" '[ "$rc" -ne 0 ] && printf "%s" "$out" | grep -q "Nesterov momentum 0"'
out=$("$train" "${syn[@]}" --norm-mean 0.5 2>&1); rc=$?
check "norm-half: --norm-mean without --norm-std is refused (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q "norm-std"'
"$train" "${syn[@]}" --epochs 1 --batch 8 --save "$dir/b8.ckpt" > /dev/null 2>&1
out=$("$build/inspect" --dataset synthetic "$dir/b8.ckpt" 2>&1)
check "inspect-batch: a net of max_batch 8 is inspected without a --batch never given" '[ $? -eq 0 ] && ! printf "%s" "$out" | grep -q -- "--batch"'

out=$("$build/bench" --nets '' 2>&1); rc=$?
check "bench-empty-list: bench --nets '' is refused, not the whole default benchmark (exit $rc)" '[ "$rc" -eq 2 ] && printf "%s" "$out" | grep -q empty'

# --- 9. train is a thin program: main fits on a screen, and examples/ holds no repeated code
lines=$(awk '/^int main\(/ { on = 1 } on { n++ } on && /^}/ { print n; exit }' examples/train.c)
check "train-main: main is $lines lines (at most 60)" '[ "$lines" -le 60 ]'
if command -v duplicates > /dev/null; then
    d=$(duplicates --repo examples 2>&1 | grep "^D[0-9]" | grep -v -e "bench.c" -e "boilerplate")
    check "duplicates: no repeated runs of code in examples/ (outside bench.c, but for option-list boilerplate)${d:+: $d}" '[ -z "$d" ]'
fi
exit $fail
