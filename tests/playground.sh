#!/usr/bin/env bash
# The browser playground (examples/playground/) and the header on wasm32:
#   0. every build holds when a wasm-opt that rejects SIMD is on PATH (binaryen's, from emscripten);
#   1. targetprop.h compiles for wasm32-wasi with -Wall -Wextra -Werror (C99, pedantic);
#   2. tests/test.c built for wasm32-wasi passes under Node's WASI;
#   3. `make playground` builds the page, and headless Chromium trains every rule on it
#      (examples/playground/browser-test.js says what it checks).
# Needs clang with the wasm32 target and Debian's wasi-libc, node and chromium; prints
# "playground: skipped (<why>)" without them, or fails if PLAYGROUND_REQUIRED=1 (CI).
#
#   tests/playground.sh [BUILD]        (default build)
# Environment: WASM_CC (clang), CHROMIUM (/usr/bin/chromium), PLAYGROUND_SECONDS (3, training
# per rule), PLAYGROUND_SCREENSHOT (BUILD/playground/screenshot.png; give
# examples/playground/screenshot.png to refresh the README's picture).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${1:-build}
WASM_CC=${WASM_CC:-clang}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
MAKE=${MAKE:-make}
OUT=$BUILD/playground-test
WASM_FLAGS=(--target=wasm32-wasi --sysroot=/usr -std=c99 -Wall -Wextra)

skip() {
    if [[ ${PLAYGROUND_REQUIRED:-0} == 1 ]]; then
        echo "playground: FAILED: $1 (PLAYGROUND_REQUIRED=1)"
        exit 1
    fi
    echo "playground: skipped ($1)"
    exit 0
}

mkdir -p "$OUT" || exit 2
printf 'int main(void){ return 0; }\n' > "$OUT/probe.c"
command -v "$WASM_CC" >/dev/null 2>&1 || skip "no $WASM_CC: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32"
"$WASM_CC" "${WASM_FLAGS[@]}" "$OUT/probe.c" -o "$OUT/probe.wasm" > "$OUT/probe.log" 2>&1 ||
    skip "$WASM_CC cannot link for wasm32-wasi ($(head -c 160 "$OUT/probe.log" | tr '\n' ' ')): apt-get install lld wasi-libc libclang-rt-14-dev-wasm32"
command -v node >/dev/null 2>&1 || skip "no node to drive the browser: apt-get install nodejs"
[[ -x $CHROMIUM ]] || skip "no chromium at $CHROMIUM: apt-get install chromium"

failed=0

# Every build below compiles with -O2 and links without -O, so a wasm-opt on PATH (binaryen's, which
# comes with emscripten, knows no SIMD unless told) is never run: one that fails stands on PATH here.
mkdir -p "$OUT/bin"
printf '#!/bin/sh\necho "wasm-opt: SIMD operation (SIMD is disabled)" >&2\nexit 1\n' > "$OUT/bin/wasm-opt"
chmod +x "$OUT/bin/wasm-opt"
export PATH="$ROOT/$OUT/bin:$PATH"

# 1. the header alone, as the compile matrix builds it natively
printf '#define TARGETPROP_IMPLEMENTATION\n#include "targetprop.h"\nint main(void){ return tp_result_string(TP_OK) == 0; }\n' > "$OUT/cc.c"
if "$WASM_CC" "${WASM_FLAGS[@]}" -pedantic -Werror -O2 -I. -c "$OUT/cc.c" -o "$OUT/cc.o" > "$OUT/cc.log" 2>&1 &&
   "$WASM_CC" "${WASM_FLAGS[@]}" "$OUT/cc.o" -o "$OUT/cc.wasm" >> "$OUT/cc.log" 2>&1; then
    echo "wasm32: targetprop.h compiles without a warning"
else
    echo "wasm32: targetprop.h does not compile cleanly:"
    cat "$OUT/cc.log"
    failed=1
fi

# 2. the test suite on wasm32 (size_t and pointers of 32 bits); the header's GEMM keeps 128 KB
#    blocks on the stack, more than wasm-ld's 64 KB default
if "$WASM_CC" "${WASM_FLAGS[@]}" -O2 -msimd128 -D_WASI_EMULATED_PROCESS_CLOCKS -I. -c tests/test.c -o "$OUT/test.o" \
        > "$OUT/test-build.log" 2>&1 &&
   "$WASM_CC" "${WASM_FLAGS[@]}" -Wl,-z,stack-size=8388608 "$OUT/test.o" -o "$OUT/test.wasm" -lwasi-emulated-process-clocks \
        >> "$OUT/test-build.log" 2>&1; then
    rm -rf "$OUT/tmp" && mkdir -p "$OUT/tmp"
    node --no-warnings examples/playground/wasi-run.js "$OUT/test.wasm" "$OUT/tmp" > "$OUT/test.log" 2>&1
    rc=$?
    if [[ $rc == 0 ]] && tail -1 "$OUT/test.log" | grep -q ' 0 failed$'; then
        echo "wasm32: tests/test.c: $(tail -1 "$OUT/test.log")"
    else
        echo "wasm32: tests/test.c FAILED (exit $rc):"
        grep -v '^ok ' "$OUT/test.log" | tail -20
        failed=1
    fi
else
    echo "wasm32: tests/test.c does not build:"
    cat "$OUT/test-build.log"
    failed=1
fi

# 3. the page in the browser
if ! "$MAKE" -s playground BUILD="$BUILD" > "$OUT/make.log" 2>&1; then
    echo "playground: make playground FAILED:"
    cat "$OUT/make.log"
    exit 1
fi
CHROMIUM=$CHROMIUM node examples/playground/browser-test.js "$BUILD/playground" \
    "${PLAYGROUND_SCREENSHOT:-$BUILD/playground/screenshot.png}" || failed=1
if [[ $failed != 0 ]]; then
    echo "playground: FAILED"
    exit 1
fi
echo "playground: ok"
