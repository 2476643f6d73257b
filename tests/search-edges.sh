#!/usr/bin/env bash
# The hard edges of search: one directory holds one search (another search's results and checkpoints
# refused, never reused nor overwritten), values read back checked, a default directory per spec, a
# signal to a search of several jobs stops its trials, one search at a time in a directory, an
# interleaved trial killed mid-run continues from its checkpoint, --summary with nothing to summarise.
#   tests/search-edges.sh [BUILD_DIR [ASAN_SEARCH]]   (run from the repository's top directory)
# ASAN_SEARCH: search built with -fsanitize=address,undefined, for the leak check of --summary (without
# it the check runs on BUILD_DIR/search and cannot see a leak).
set -u
build=${1:-build}
search=$build/search
asan=${2:-}
. "$(dirname "$0")/lib.sh"
first() { head -n 1 "$1" | cut -c1-160; }
# waits up to 10 s for a condition
until_true() { for _ in $(seq 1 1000); do eval "$1" && return 0; sleep 0.01; done; return 1; }
alive() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
[ -x "$search" ] || { say "FAIL setup: no $search (make $search)"; exit 1; }
search_abs=$(cd "$(dirname "$search")" && pwd)/$(basename "$search")

tiny=(--dataset synthetic --rule sdtp --trials 2 --epochs 1 --batch 16 --threads 1)
# trials of a few seconds each, for the tests that interrupt one
long=(--dataset synthetic --synthetic-n 4096 --arch "16x16x1 fc64 fc10" --batch 32 --threads 1)

# --- 1. two searches of different nets in one directory: the second refuses, naming the file and the difference
"$search" "${tiny[@]}" --arch "8x8x1 fc16 fc10" --dir "$dir/two" > "$dir/two1.txt" 2>&1
cp -r "$dir/two" "$dir/two-copy"
"$search" "${tiny[@]}" --arch "8x8x1 fc32 fc10" --dir "$dir/two" > "$dir/two2.txt" 2>&1; rc=$?
check "mixed-nets: a search of another net in the directory is refused (exit status $rc): $(grep -m1 'another search' "$dir/two2.txt" | cut -c1-140)" \
      '[ "$rc" -ne 0 ] && grep -q "trial-000.result was produced by another search: spec" "$dir/two2.txt" &&
       grep -q -- "another --dir" "$dir/two2.txt" && ! grep -q "trials to run\|trials finished" "$dir/two2.txt" &&
       diff -r "$dir/two" "$dir/two-copy" > /dev/null'
"$search" "${tiny[@]}" --arch "8x8x1 fc16 fc10" --epochs 2 --dir "$dir/two" > "$dir/two3.txt" 2>&1; rc=$?
check "mixed-epochs: a search of other --epochs in the directory is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && grep -q "epochs \"1\" where this search has \"2\"" "$dir/two3.txt"'

# --- the optimiser a search fixes: recorded, refused when another is asked for, and its best trial's
# "to train it" line gives that trial's result again; a result of the format before the optimizer column counts as Adam
tiny_mnist "$dir/mnist"
opt=(--optimizer nesterov --momentum 0.8 --l2 1e-3 --schedule-lr cosine --normalize)
mn=(--dataset mnist --data "$dir/mnist" --rule sdtp --trials 2 --epochs 3 --batch 10 --threads 1 --arch "784 fc16 fc10")
"$search" "${mn[@]}" "${opt[@]}" --dir "$dir/opt" > "$dir/opt1.txt" 2>&1
"$search" "${mn[@]}" --dir "$dir/opt" > "$dir/opt2.txt" 2>&1; rc=$?
check "optimizer-recorded: a search's optimiser is in its results, and a search with another is refused (exit status $rc)" \
      'tail -n 1 "$dir/opt/trial-000.result" | grep -q ",nesterov 0.8 l2 0.001 cosine normalized$" && [ "$rc" -ne 0 ] &&
       grep -q "optimizer \"nesterov 0.8 l2 0.001 cosine normalized\" where this search has \"adam\"" "$dir/opt2.txt"'
cmd=$(grep -o "to train it: train .*" "$dir/opt1.txt" | sed "s/^to train it: train //")
best=$(grep -o "best test error [0-9.]*%" "$dir/opt1.txt" | head -n 1 | grep -o "[0-9.]*")
k=$(grep -o "(trial [0-9]*" "$dir/opt1.txt" | head -n 1 | grep -o "[0-9]*$")
eval "\"$build/train\" --data \"$dir/mnist\" --batch 10 --threads 1 $cmd --log \"$dir/opt-train.csv\"" > "$dir/opt-train.txt" 2>&1
check "optimizer-reproduced: the best trial's command trains it again, loss for loss ($best%, trial $k): $(tail -n 1 "$dir/opt-train.txt")" \
      'grep -q -- "--optimizer nesterov --momentum 0.8 --l2 0.001 --schedule-lr cosine --normalize" <<< "$cmd" &&
       grep -q "^best test error $best%" "$dir/opt-train.txt" &&
       [ "$(cut -d, -f1-5 "$dir/opt-train.csv")" = "$(cut -d, -f1-5 "$(printf "%s/opt/trial-%03d.csv" "$dir" "$k")")" ]'
mkdir -p "$dir/old"
"$search" "${tiny[@]}" --arch "8x8x1 fc16 fc10" --dir "$dir/old" > /dev/null 2>&1
for r in "$dir"/old/trial-*.result; do cut -d, -f1-28 "$r" > "$r.cut" && mv "$r.cut" "$r"; done
rm -f "$dir"/old/trial-*.ckpt
"$search" "${tiny[@]}" --arch "8x8x1 fc16 fc10" --dir "$dir/old" > "$dir/old.txt" 2>&1; rc=$?
check "optimizer-before: results of 28 columns (before the optimizer column) count as Adam's (exit status $rc)" \
      '[ "$rc" -eq 0 ] && grep -q "2 trials finished" "$dir/old.txt" && grep -q "optimizer adam" "$dir/old.txt"'

# --- 2. values read back are checked: a best test error outside [0, 1] is refused, naming file, field and value
for bad in -5 1.5; do
    rm -rf "$dir/bad"; cp -r "$dir/two-copy" "$dir/bad"
    sed -i "2s/^0,ok,[0-9.]*,/0,ok,$bad,/" "$dir/bad/trial-000.result"
    "$search" --summary --dir "$dir/bad" > "$dir/bad.txt" 2>&1; rc=$?
    "$search" "${tiny[@]}" --arch "8x8x1 fc16 fc10" --dir "$dir/bad" > "$dir/bad-run.txt" 2>&1; rc2=$?
    check "result-best=$bad: refused by --summary (exit status $rc) and by the search (exit status $rc2): $(grep -m1 best_test_error "$dir/bad.txt")" \
          '[ "$rc" -ne 0 ] && [ "$rc2" -ne 0 ] && ! grep -q "%" "$dir/bad.txt" &&
           grep -q "bad/trial-000.result: best_test_error \"$bad\": expected a test error from 0 to 1" "$dir/bad.txt" &&
           grep -q "best_test_error \"$bad\"" "$dir/bad-run.txt"'
done

# --- 3. custom specs: a default directory each (the same spec however written shares one)
mkdir -p "$dir/cwd/results"
(cd "$dir/cwd" && "$search_abs" "${tiny[@]}" --trials 1 --arch "8x8x1 fc16 fc10" > a.txt 2>&1
                  "$search_abs" "${tiny[@]}" --trials 1 --arch "8x8x1 fc32 fc10" > b.txt 2>&1
                  "$search_abs" "${tiny[@]}" --trials 1 --arch "8x8x1,fc16   fc10" > c.txt 2>&1)
n=$(ls -d "$dir"/cwd/results/search-spec-*-sdtp-parallel 2>/dev/null | wc -l)
check "spec-dirs: two specs, two default directories ($n: $(cd "$dir/cwd/results" && echo search-*)), the same spec respelt reuses its own" \
      '[ "$n" -eq 2 ] && grep -q "1 of 1 trials to run" "$dir/cwd/b.txt" && grep -q "0 of 1 trials to run" "$dir/cwd/c.txt"'

# --- 4. SIGTERM to a search of --jobs 2: its trial processes end too, and it exits non-zero
"$search" "${long[@]}" --rule sdtp --trials 4 --epochs 400 --jobs 2 --dir "$dir/term" > "$dir/term.txt" 2>&1 &
pid=$!; pids+=("$pid")
until_true '[ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] && [ -f "$dir/term/trial-001.csv" ]'
kids=($(pgrep -P "$pid")); pids+=("${kids[@]}")
sleep 0.3
kill -TERM "$pid"; wait "$pid"; rc=$?
until_true '! alive "${kids[@]}"'
check "sigterm-jobs: SIGTERM stops the search (exit status $rc) and its ${#kids[@]} trial processes (${kids[*]}: $(alive "${kids[@]}" && echo "still running" || echo gone))" \
      '[ "$rc" -ne 0 ] && [ "${#kids[@]}" -eq 2 ] && ! alive "${kids[@]}" && grep -q "SIGTERM: stopping 2 running trials" "$dir/term.txt"'

# --- 5. one search at a time in a directory (timeout: a search that is not refused would run its trials)
"$search" "${long[@]}" --rule sdtp --trials 2 --epochs 400 --dir "$dir/lock" > /dev/null 2>&1 &
pid=$!; pids+=("$pid")
until_true '[ -f "$dir/lock/trial-000.csv" ]'
timeout 10 "$search" "${long[@]}" --rule sdtp --trials 2 --epochs 400 --dir "$dir/lock" > "$dir/lock2.txt" 2>&1; rc=$?
check "lock-search: a second search in the directory is refused while the first runs (exit status $rc): $(first "$dir/lock2.txt")" \
      '[ "$rc" -eq 1 ] && grep -q "/lock is in use by another search (process $pid holds" "$dir/lock2.txt"'
timeout 10 "$search" "${long[@]}" --rule sdtp --trials 2 --epochs 400 --trial 0 --dir "$dir/lock" > "$dir/lock3.txt" 2>&1; rc=$?
check "lock-trial: a --trial run in the directory of a running search is refused (exit status $rc)" \
      '[ "$rc" -eq 1 ] && grep -q "in use by another search" "$dir/lock3.txt"'
kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
"$search" "${long[@]}" --rule sdtp --trials 2 --epochs 400 --trial 1 --dir "$dir/lock" > /dev/null 2>&1 &
pid=$!; pids+=("$pid")
until_true '[ -f "$dir/lock/trial-001.ckpt" ]'
timeout 10 "$search" "${long[@]}" --rule sdtp --trials 2 --epochs 400 --trial 1 --dir "$dir/lock" > "$dir/lock4.txt" 2>&1; rc=$?
check "lock-same-trial: --trial 1 while another process runs trial 1 is refused (exit status $rc): $(first "$dir/lock4.txt")" \
      '[ "$rc" -eq 1 ] && grep -q "trial 1 in .* is being run by another process ($pid)" "$dir/lock4.txt"'
kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

# --- 6. an interleaved trial killed mid-run continues from its checkpoint to the uninterrupted result and log
iargs=("${long[@]}" --rule dtp --schedule interleaved --trials 1 --epochs 30)
"$search" "${iargs[@]}" --dir "$dir/iref" > /dev/null 2>&1
"$search" "${iargs[@]}" --dir "$dir/ik" > /dev/null 2>&1 &
pid=$!; pids+=("$pid")
until_true '[ -f "$dir/ik/trial-000.ckpt" ] && [ "$(wc -l < "$dir/ik/trial-000.csv")" -ge 4 ]'
kill -9 "$pid" 2>/dev/null; killed=$?
wait "$pid" 2>/dev/null
"$search" "${iargs[@]}" --dir "$dir/ik" > "$dir/ik.txt" 2>&1
if [ "$killed" -ne 0 ]; then
    say "FAIL interleaved-resume: the trial ended before it could be killed; nothing was tested"; fail=1
else
    check "interleaved-resume: $(grep -m1 'trial   0' "$dir/ik.txt"), to the same result and log" \
          'grep -q "continues at epoch" "$dir/ik.txt" && cmp -s "$dir/iref/trial-000.result" "$dir/ik/trial-000.result" &&
           [ "$(cut -d, -f1-5 "$dir/iref/trial-000.csv")" = "$(cut -d, -f1-5 "$dir/ik/trial-000.csv")" ]'
fi

# --- 7. a checkpoint of another search's trial, and a log that is not its checkpoint's, are refused and kept
cargs=("${long[@]}" --rule dtp --trials 1 --epochs 40)
"$search" "${cargs[@]}" --dir "$dir/ck" > /dev/null 2>&1 &
pid=$!; pids+=("$pid")
until_true '[ -f "$dir/ck/trial-000.ckpt" ] && [ "$(wc -l < "$dir/ck/trial-000.csv")" -ge 3 ]'
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
cp -r "$dir/ck" "$dir/ck-copy"; cp -r "$dir/ck" "$dir/cl"
timeout 10 "$search" "${cargs[@]}" --arch "16x16x1 fc32 fc10" --dir "$dir/ck" > "$dir/ck.txt" 2>&1; rc=$?
check "ckpt-other-search: a checkpoint of another net's trial is refused and kept (exit status $rc)" \
      '[ "$rc" -eq 1 ] && grep -q "trial-000.ckpt: it is a checkpoint of another search" "$dir/ck.txt" && diff -r "$dir/ck" "$dir/ck-copy" > /dev/null'
awk -F, 'BEGIN { OFS = "," } NR > 1 && $5 != "" { $5 = "0.012345" } { print }' "$dir/cl/trial-000.csv" > "$dir/cl.csv" &&
    mv "$dir/cl.csv" "$dir/cl/trial-000.csv"
timeout 10 "$search" "${cargs[@]}" --dir "$dir/cl" > "$dir/cl.txt" 2>&1; rc=$?
check "ckpt-other-log: a log whose test errors are not its checkpoint's is refused (exit status $rc)" \
      '[ "$rc" -eq 1 ] && grep -q "the log is another run" "$dir/cl.txt"'

# --- 8. --summary with no finished trials: a message, exit status 1, nothing leaked
mkdir -p "$dir/empty"
"${asan:-$search}" --summary --dir "$dir/empty" > "$dir/empty.txt" 2>&1; rc=$?
check "summary-empty: no finished trials (exit status $rc)${asan:+, under ASan}$( [ -z "$asan" ] && echo ' (no ASan binary given: leaks not checked)')" \
      '[ "$rc" -eq 1 ] && grep -q "no finished trials yet" "$dir/empty.txt" && ! grep -q "Sanitizer" "$dir/empty.txt"'

exit $fail
