#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - fuzz every parser of targetprop.h with libFuzzer.
#
#   tests/fuzz/run.sh          600 seconds per harness (the default)
#   tests/fuzz/run.sh 120      two minutes per harness
#
# Harnesses (tests/fuzz/fuzz_NAME.c, each documents its input layout):
#   idx         tp_load_idx       [u32 LE images length][IDX images file][IDX labels file]
#   cifar       tp_load_cifar10   one CIFAR-10 batch file
#   checkpoint  tp_net_load       one checkpoint (the CRC is fixed up so mutations get past it)
#   spec        tp_net_create     [option byte: rule, n_aux, max_batch][spec text]
# fuzz_common.h caps the library's allocations (64 MB each, 256 MB live) so a huge stored
# spec is a clean TP_ERROR_NOMEM, and gives each process a temporary directory.
#
# What it does, from the repository root:
#   1. builds each harness with clang -g -O1 -fsanitize=fuzzer,address,undefined
#      -fno-sanitize-recover=all into build/fuzz/fuzz_NAME;
#   2. builds tests/fuzz/make_seeds.c and writes seeds to build/fuzz/seeds.PID/NAME (small real
#      checkpoints of every rule, IDX and CIFAR files, specs);
#   3. runs each harness for SECONDS (-max_total_time, -rss_limit_mb=2048) on the corpus
#      build/fuzz/corpus-NAME plus the seeds and tests/fuzz/corpus-min/NAME, logging to
#      build/fuzz/log-NAME.txt, and prints the number of executions;
#   4. replays every crash, leak, timeout or out-of-memory input the run left, groups them by
#      the sanitizer's SUMMARY line (or the harness's "tpfuzz: CHECK failed at" line), and
#      copies the smallest input of each group not already in tests/fuzz/crashes/ to
#      tests/fuzz/crashes/NAME-<sha1>. The exit status is 1 when any harness crashed.
#
# By default libFuzzer runs in fork mode (-fork=1 -ignore_crashes=1), so a crash found in
# the first seconds does not end the run: the fuzzer goes on and later, different bugs
# are found too. FORK=0 gives the classic mode, which stops at the first crash.
# Other knobs: HARNESSES="spec idx" (a subset), CLANG=clang-14.
#
# Replaying past findings without libFuzzer (any C compiler; what `make test` can run):
#   cc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -I. tests/fuzz/regress.c \
#      -o build/fuzz-regress -lm && build/fuzz-regress tests/fuzz/crashes tests/fuzz/corpus-min
# It prints a FAIL line per crashing file and "fuzz-regress: N passed, N failed"; files in
# tests/fuzz/crashes/ keep failing until the bug they show is fixed in targetprop.h.
#
# Needs clang with the libFuzzer runtime (Debian: apt-get install clang libclang-rt-14-dev
# where `clang -fsanitize=fuzzer` does not link).
set -u

SECS=${1:-600}
case "$SECS" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
CLANG=${CLANG:-clang}
FORK=${FORK:-1}
HARNESSES=${HARNESSES:-"idx cifar checkpoint spec"}
B=build/fuzz
CRASHES=tests/fuzz/crashes
FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I."

mkdir -p "$B" || exit 2

# 1. harnesses
for h in $HARNESSES; do
    if [ ! -f "tests/fuzz/fuzz_$h.c" ]; then echo "run.sh: no harness tests/fuzz/fuzz_$h.c" >&2; exit 2; fi
    echo "build: $B/fuzz_$h"
    $CLANG $FLAGS "tests/fuzz/fuzz_$h.c" -o "$B/fuzz_$h" -lm || {
        echo "run.sh: building fuzz_$h failed (is the libFuzzer runtime installed? apt-get install libclang-rt-14-dev)" >&2
        exit 2
    }
done

# 2. seeds
# (per process, so several runs with different HARNESSES can go side by side)
echo "build: $B/make_seeds.$$"
$CLANG -g -O1 -I. tests/fuzz/make_seeds.c -o "$B/make_seeds.$$" -lm || exit 2
rm -rf "$B/seeds.$$"
"$B/make_seeds.$$" "$B/seeds.$$" || exit 2
rm -f "$B/make_seeds.$$"

# the harnesses' temporary directories live here (a crashed process cannot clean its own):
# in memory when /dev/shm is there, since every input is written to a file (100x faster)
TMP_BASE=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && TMP_BASE=/dev/shm
RUN_TMP=$(mktemp -d "$TMP_BASE/tpfuzz-run.XXXXXX") || exit 2
trap 'rm -rf "$RUN_TMP" "$B/seeds.$$"' EXIT
export TPFUZZ_TMPDIR="$RUN_TMP"

# the line that identifies the bug behind a failing input: the harness's own CHECK line,
# else the sanitizer's SUMMARY (with addresses and sizes blanked), else libFuzzer's verdict
bug_key() {  # bug_key HARNESS FILE
    local out key
    out=$(timeout 120 "$B/fuzz_$1" -rss_limit_mb=2048 -timeout=60 "$2" 2>&1)
    key=$(printf '%s\n' "$out" | grep -m1 -o 'tpfuzz: CHECK failed at [^ ]*')
    [ -n "$key" ] || key=$(printf '%s\n' "$out" | grep -m1 '^SUMMARY: ' |
                           sed -E 's/0x[0-9a-f]+/ADDR/g; s/\(used: [^)]*\)//; s/malloc\([0-9]+\)/malloc(N)/')
    [ -n "$key" ] || key=$(printf '%s\n' "$out" | grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|ALARM: working on the last Unit')
    echo "${key:-no failure on replay}"
}

status=0
summary=""
for h in $HARNESSES; do
    corpus="$B/corpus-$h"
    art="$B/artifacts-$h"
    log="$B/log-$h.txt"
    rm -rf "$art"
    mkdir -p "$corpus" "$art"
    dirs=("$corpus" "$B/seeds.$$/$h")
    [ -d "tests/fuzz/corpus-min/$h" ] && dirs+=("tests/fuzz/corpus-min/$h")
    args=(-max_total_time="$SECS" -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 -artifact_prefix="$art/")
    [ -f "tests/fuzz/$h.dict" ] && args+=(-dict="tests/fuzz/$h.dict")
    [ "$FORK" != 0 ] && args+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    echo "fuzz: $h for ${SECS}s (log $log)"
    "$B/fuzz_$h" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
    rc=$?

    # 3. executions: "Done N runs in S second(s)" (classic mode) or the last "#N:" status (fork)
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n1)
    if [ -n "$done_line" ]; then
        runs=$(printf '%s\n' "$done_line" | awk '{print $2}')
    elif grep -q '^stat::number_of_executed_units:' "$log"; then   # classic mode, stopped by a crash
        runs=$(grep '^stat::number_of_executed_units:' "$log" | tail -n1 | awk '{print $2}')
    else
        runs=$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#')
    fi
    runs=${runs:-0}

    # 4. failing inputs, smallest first, one per distinct bug
    mkdir -p "$CRASHES"
    declare -A known=()
    for f in "$CRASHES/$h"-*; do
        [ -f "$f" ] && known["$(bug_key "$h" "$f")"]=1
    done
    n_fail=0 n_new=0
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        n_fail=$((n_fail + 1))
        [ $n_fail -gt 200 ] && continue   # enough for a run; the rest are almost surely repeats
        key=$(bug_key "$h" "$f")
        if [ -z "${known[$key]+x}" ]; then
            known["$key"]=1
            dest="$CRASHES/$h-$(sha1sum "$f" | cut -c1-40)"
            cp "$f" "$dest"
            n_new=$((n_new + 1))
            echo "  NEW $dest: $key"
        fi
    done < <(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' -o -name 'timeout-*' \) \
                 -printf '%s %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-)
    unset known
    ncorp=$(find "$corpus" -type f | wc -l)
    line="$h: $runs executions in ${SECS}s, corpus $ncorp files, $n_fail failing inputs ($n_new new bugs saved), libFuzzer exit $rc"
    echo "  $line"
    summary+="$line"$'\n'
    if [ "$n_fail" -gt 0 ] || [ "$rc" -ne 0 ]; then status=1; fi
done

echo
echo "fuzz summary:"
printf '%s' "$summary"
[ $status -ne 0 ] && echo "crashes: inputs are in $CRASHES/ (replay: see the header of tests/fuzz/run.sh)"
exit $status
