#!/usr/bin/env bash
# A run killed with SIGKILL at random moments and resumed each time from its checkpoint ends
# with the same bytes and log as a run never interrupted, in every schedule; damaged checkpoints
# are refused.
#   tests/kill-resume.sh [path/to/train]
set -u
train=${1:-build/train}
. "$(dirname "$0")/lib.sh"
common=(--dataset synthetic --synthetic-n 8192 --arch "16x16x1 lc3x3/4/s2 fc64 fc10" --epochs 3 --batch 32 --threads 1 --quiet)

# kill_resume NAME RULE SCHEDULE: the run killed and resumed, its final checkpoint and log against an uninterrupted one
kill_resume() {
    local name=$1 args=("${common[@]}" --rule "$2" --schedule "$3" "${@:4}") kills=0 resumes=0 resume=() rc pid early=0
    rm -f "$dir"/run.* "$dir"/final.ckpt
    "$train" "${args[@]}" --save "$dir/reference.ckpt" --log "$dir/reference.csv" || { say "FAIL kill-resume-$name: reference run"; fail=1; return; }
    for attempt in $(seq 1 40); do
        "$train" "${args[@]}" --checkpoint "$dir/run.ckpt" --checkpoint-every 7 --save "$dir/final.ckpt" \
            --log "$dir/run.csv" "${resume[@]}" &
        [ ${#resume[@]} -gt 0 ] && resumes=$((resumes + 1))
        pid=$!
        if [ "$kills" -lt 5 ]; then   # after its first checkpoint, at a random moment (a slow machine too)
            for t in $(seq 1 600); do [ -f "$dir/run.ckpt" ] || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.05; done
            sleep "0.$(( early ? 0 : RANDOM % 4 ))$(( RANDOM % 10 ))"   # sooner once a run has ended first
            if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
        fi
        wait "$pid" 2>/dev/null
        rc=$?
        if [ -f "$dir/final.ckpt" ] && [ "$rc" -eq 0 ] && [ "$resumes" -eq 0 ] && [ "$kills" -lt 5 ]; then
            rm -f "$dir"/run.* "$dir"/final.ckpt   # it ended before the kill came: start it over
            resume=()
            early=1
            continue
        fi
        [ -f "$dir/final.ckpt" ] && [ "$rc" -eq 0 ] && break
        [ -f "$dir/run.ckpt" ] && resume=(--resume "$dir/run.ckpt")
    done
    if [ ! -f "$dir/final.ckpt" ]; then
        say "FAIL kill-resume-$name: the interrupted run never finished (last exit status $rc)"; fail=1; return
    elif [ "$resumes" -eq 0 ]; then
        say "FAIL kill-resume-$name: no run was interrupted after its first checkpoint; nothing was tested"; fail=1; return
    elif cmp -s "$dir/reference.ckpt" "$dir/final.ckpt"; then
        say "ok kill-resume-$name: $kills SIGKILLs, $resumes resumes, final state byte-identical to the uninterrupted run"
    else
        say "FAIL kill-resume-$name: final state differs from the uninterrupted run after $kills SIGKILLs"; fail=1; return
    fi
    if [ "$(cut -d, -f1-5,8 "$dir/reference.csv")" = "$(cut -d, -f1-5,8 "$dir/run.csv")" ]; then
        say "ok kill-resume-$name-log: the resumed log matches, epoch for epoch"
    else say "FAIL kill-resume-$name-log: the resumed log differs from the reference"; fail=1; fi
}

# every schedule, each with its log: parallel (DTP), alternating (DTP), interleaved (DDTP's and DTP-DRL's own)
kill_resume dtp-parallel dtp parallel
kill_resume dtp-alternating dtp alternating
kill_resume ddtp-interleaved ddtp interleaved
kill_resume dtpdrl-interleaved dtpdrl interleaved
# mid-schedule: Nesterov momentum, coupled decay, a warm-up and a cosine ticking every step, a feedback
# optimiser with momentum on a step schedule, per-layer iterations and the input normalisation
kill_resume ldrl-schedules ldrl parallel --optimizer nesterov --lr 0.01 --l2 1e-3 --schedule-lr cosine --lr-tick step \
    --warmup 1 --inverse-optimizer momentum --inverse-lr 1e-4 --inverse-schedule-lr step --milestones 2 --iters 1,2 --normalize
args=("${common[@]}" --rule ldrl --schedule parallel --optimizer nesterov --lr 0.01 --l2 1e-3 --schedule-lr cosine --lr-tick step \
    --warmup 1 --inverse-optimizer momentum --inverse-lr 1e-4 --inverse-schedule-lr step --milestones 2 --iters 1,2 --normalize)   # the last run's, whose reference is left

# a damaged checkpoint is refused with a message naming the file
cp "$dir/reference.ckpt" "$dir/flip.ckpt"
printf '\x55' | dd of="$dir/flip.ckpt" bs=1 seek=200 conv=notrunc 2>/dev/null
head -c 1000 "$dir/reference.ckpt" > "$dir/short.ckpt"
for bad in flip short; do
    out=$("$train" "${args[@]}" --resume "$dir/$bad.ckpt" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "$bad.ckpt"; then
        say "ok kill-resume-$bad: refused: $(printf '%s' "$out" | head -n 1)"
    else
        say "FAIL kill-resume-$bad: rc $rc, output: $out"; fail=1
    fi
done
exit $fail
