#!/usr/bin/env bash
# make test's steps: each one's output as it comes, then one closing line that counts what passed,
# failed and was skipped, and why each skip happened, e.g.
#   make test: 1310 passed, 0 failed, 1 skipped (playground: no chromium at /usr/bin/chromium)
# A step's count is its own closing "N passed, M failed" line where it prints one, else its "ok" and
# "FAIL" lines; a step that exits non-zero without a FAIL line counts as one failure. A skip is a line
# "skip NAME: why" or "NAME: skipped (why)". Exit status 1 on a failure; with TESTS_REQUIRE_ALL=1 (as
# CI runs it) a skip fails too, since a machine that lacks a tool has not run the test it needs.
#   tests/run.sh BUILD_DIR        (from the repository's top directory, after make has built BUILD_DIR)
set -u
build=${1:-build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
steps=("./$build/alloc-fail" "./$build/misuse" "./$build/collapse"
       "./$build/collapse --known=$COLLAPSED results/*.csv" "./$build/extra-rule" "tests/examples.sh $build"
       "tests/kill-resume.sh $build/train" "tests/imagenet.sh $build" "tests/mpi.sh $build" "./$build/fuzz-regress tests/fuzz/crashes tests/fuzz/corpus-min"
       "./$build/test" "tests/playground.sh $build")
passed=0 failed=0 skipped=0 why=""
for step in "${steps[@]}"; do
    bash -c "$step" 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    summary=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    if [ -n "$summary" ]; then
        p=$(printf '%s' "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
        f=$(printf '%s' "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    else
        p=$(grep -c '^ok ' "$out"); f=$(grep -c '^FAIL' "$out")
    fi
    [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f))
    while IFS= read -r line; do
        skipped=$((skipped + 1))
        why="${why:+$why; }$line"
    done < <(sed -nE 's/^skip ([^:]+): (.*)/\1: \2/p; s/^([a-z0-9_-]+): skipped \((.*)\)$/\1: \2/p' "$out" | cut -c1-160)
done
line="make test: $passed passed, $failed failed, $skipped skipped${why:+ ($why)}"
echo "$line"
[ "$failed" -eq 0 ] || exit 1
if [ "$skipped" -gt 0 ] && [ -n "${TESTS_REQUIRE_ALL:-}" ]; then
    echo "make test: TESTS_REQUIRE_ALL is set, and $skipped test(s) could not run here" >&2
    exit 1
fi
exit 0
