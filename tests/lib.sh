# What the test scripts share (sourced by tests/*.sh): a temporary directory $dir, removed at exit
# with any background processes whose pids were added to pids; and the "ok NAME" / "FAIL NAME"
# lines, check NAME CONDITION, which sets fail=1 on a failure (the script's exit status).
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
fail=0
say() { printf '%s\n' "$*"; }
check() { if eval "$2"; then say "ok $1"; else say "FAIL $1"; fail=1; fi; }
