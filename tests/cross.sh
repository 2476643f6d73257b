#!/usr/bin/env bash
# Build tests/test.c for other targets and run it: AArch64 (NEON tile) under qemu-user, and
# the 32-bit targets, i386 (gcc -m32 or i686-linux-gnu-gcc) and ARM32 (arm-linux-gnueabihf-gcc
# under qemu-arm), when their tools are installed. Each target prints one line: "passed",
# "FAILED: <why>" or "skipped: <why>"; the script exits 1 when any target that ran failed.
#
#   tests/cross.sh                     every target whose tools are present
#   tests/cross.sh aarch64 i386        only these (aarch64, i386, armhf)
#
# Environment:
#   CROSS_CFLAGS   compiler flags (default -O2 -Wall -Wextra); OpenMP is added when the
#                  cross compiler has libgomp, so the thread-count test runs too
#   BUILD          build directory (default build); binaries and logs go to $BUILD/cross
#
# Warnings are kept in $BUILD/cross/TARGET.warnings and summarised (the header's own first).
# The tools, on Debian 12 (gcc-multilib conflicts with the AArch64 cross compiler; the i686
# cross compiler is the alternative):
#   apt-get install -y gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-arm-linux-gnueabihf qemu-user
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
OUT=${BUILD:-build}/cross
CFLAGS=${CROSS_CFLAGS:--O2 -Wall -Wextra}
mkdir -p "$OUT" || exit 2
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(aarch64 i386 armhf)
failed=0

# can_link CC FLAGS...: a trivial program builds with these flags
can_link() {
    local cc=$1; shift
    printf 'int main(void){return 0;}\n' | "$cc" "$@" -x c - -o "$OUT/probe" >/dev/null 2>&1
}

# can_run RUNNER...: the probe built by can_link runs (through RUNNER, or natively)
can_run() { "$@" "$OUT/probe" >/dev/null 2>&1; }

# build_and_run NAME CC "FLAGS" RUNNER...: builds tests/test.c, runs it, reports
build_and_run() {
    local name=$1 cc=$2 flags=$3; shift 3
    local exe="$OUT/test-$name" log="$OUT/$name.log" warn="$OUT/$name.warnings" omp=""
    # shellcheck disable=SC2086
    if can_link "$cc" $flags -fopenmp -static; then omp="-fopenmp"; fi
    # shellcheck disable=SC2086
    if ! "$cc" $CFLAGS $flags $omp -static -I. tests/test.c -o "$exe" -lm 2>"$warn"; then
        echo "$name: FAILED: does not build ($cc $CFLAGS $flags $omp -static), see $warn:"
        grep -m 5 'error' "$warn" | sed 's/^/    /'
        failed=1
        return
    fi
    local nw nh
    nw=$(grep -c 'warning:' "$warn" || true)
    nh=$(grep -c 'targetprop\.h:[0-9]*:[0-9]*: warning:' "$warn" || true)
    if [[ $nw -gt 0 ]]; then
        echo "$name: $nw compiler warning(s), $nh in targetprop.h (all in $warn):"
        { grep 'targetprop\.h:[0-9]*:[0-9]*: warning:' "$warn"; grep 'warning:' "$warn" | grep -v 'targetprop\.h:'; } |
            uniq | head -n 10 | sed 's/^/    /'
    fi
    local t0=$SECONDS
    # under emulation the two slowest tests (training every rule 100 epochs on toy data, and
    # building every preset) take most of the time; the rest checks the arithmetic
    if TP_TEST_SKIP=${TP_TEST_SKIP-defaults_learn,presets_build} "$@" "$exe" >"$log" 2>&1; then
        echo "$name: passed ($cc${omp:+ with OpenMP}${1:+, run by $1}, $((SECONDS - t0)) s): $(tail -n 1 "$log")"
    else
        echo "$name: FAILED (run by ${1:-the host}), the end of $log:"
        grep -i 'fail' "$log" | head -n 10 | sed 's/^/    /'
        tail -n 3 "$log" | sed 's/^/    /'
        failed=1
    fi
}

# under_qemu NAME CC QEMU PACKAGE: a cross compiler's static build run under qemu-user
under_qemu() {
    local name=$1 cc=$2 qemu=$3 package=$4 q
    if ! command -v "$cc" >/dev/null; then
        echo "$name: skipped: no $cc (apt-get install $package)"
    elif ! command -v "$qemu" >/dev/null && ! command -v "$qemu-static" >/dev/null; then
        echo "$name: skipped: no $qemu (apt-get install qemu-user)"
    elif ! can_link "$cc" -static; then
        echo "$name: skipped: $cc cannot link a static program"
    else
        q=$(command -v "$qemu" || command -v "$qemu-static")
        build_and_run "$name" "$cc" "" "$q"
    fi
}

for t in "${targets[@]}"; do
    case $t in
    aarch64) under_qemu aarch64 aarch64-linux-gnu-gcc qemu-aarch64 gcc-aarch64-linux-gnu ;;
    i386)
        # -m32 through the host compiler (gcc-multilib), else the i686 cross compiler; the
        # static binary runs natively on an x86-64 kernel with IA-32 support, else under qemu-i386
        cc32=""
        if can_link "${CC:-cc}" -m32 -static; then cc32="${CC:-cc} -m32"
        elif command -v i686-linux-gnu-gcc >/dev/null && can_link i686-linux-gnu-gcc -static; then cc32=i686-linux-gnu-gcc
        fi
        if [[ -z $cc32 ]]; then
            echo "i386: skipped: neither ${CC:-cc} -m32 (gcc-multilib) nor i686-linux-gnu-gcc (gcc-i686-linux-gnu) links"
        else
            # SSE2 arithmetic, as every x86 since 2001 has: x87's wider intermediates leave the
            # sigmoid's far tail 17 ulp off (tanh and exp are right on x87 too, see tp__rint)
            cc32="$cc32 -msse2 -mfpmath=sse"
            read -r -a ccw <<<"$cc32"
            can_link "${ccw[@]}" -static
            if can_run; then
                build_and_run i386 "${ccw[0]}" "${ccw[*]:1}"
            elif command -v qemu-i386 >/dev/null; then
                build_and_run i386 "${ccw[0]}" "${ccw[*]:1}" qemu-i386
            else
                echo "i386: skipped: built, but this kernel cannot run 32-bit programs and there is no qemu-i386"
            fi
        fi ;;
    armhf) under_qemu armhf arm-linux-gnueabihf-gcc qemu-arm gcc-arm-linux-gnueabihf ;;
    *)
        echo "cross: unknown target $t (aarch64, i386, armhf)" >&2
        exit 2 ;;
    esac
done
rm -f "$OUT/probe"
exit $failed
