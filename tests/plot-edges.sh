#!/usr/bin/env bash
# plot at the edges of its input: axes over tiny and huge ranges (the ticks come from the data's own
# scale, at most a dozen, labelled without inf or nan), and the most rows a log may have (1000000).
# Each chart must come within 10 s as a small, complete SVG; every plot runs with a file size limit,
# so that a runaway chart fails the test instead of filling the disk.
#   tests/plot-edges.sh [BUILD_DIR]      (run from the repository's top directory)
set -u
build=${1:-build}
plot=$build/plot
. "$(dirname "$0")/lib.sh"
check() { why=; if eval "$2"; then say "ok $1${why:+ ($why)}"; else say "FAIL $1${why:+ ($why)}"; fail=1; fi; }
header=epoch,train_loss,train_error,test_error,best_test_error,seconds,examples_per_s,phase,inverse_loss

# make_log NAME ROWS LOSS TEST SECONDS [EXTRA_HEADER EXTRA]: a log of ROWS forward epochs; LOSS, TEST, SECONDS
# and EXTRA are awk expressions of the row number i
make_log() {
    awk -v h="$header${6:+,$6}" "BEGIN { print h; OFMT = \"%.17g\"; CONVFMT = \"%.17g\"
        for (i = 1; i <= $2; i++) print i \",\" ($3) \",0.5,\" ($4) \",0.1,\" ($5) \",100,parallel,0\"${7:+ \",\" ($7)} }" \
        > "$dir/$1.csv"
}

# run NAME ARGS...: plot ARGS into $dir/NAME.svg, with a 10 s timeout and a 20 MB file size limit;
# sets rc and out (stdout and stderr)
run() {
    local name=$1
    shift
    out=$( (ulimit -f 20480; exec timeout 10 "$plot" -o "$dir/$name.svg" "$@") 2>&1 ); rc=$?
}

# svg_ok NAME: the chart exists, is under 100 KB, ends with </svg>, has no inf or nan anywhere, and
# has 2 to 12 distinct tick labels on each axis, each at most 10 characters (about the 67 px beside
# the y axis at 7 px a character); else sets why
svg_ok() {
    local f=$dir/$1.svg size x y
    why=
    [ -f "$f" ] || { why="no SVG"; return 1; }
    size=$(wc -c < "$f")
    [ "$size" -lt 100000 ] || { why="SVG of $size bytes"; return 1; }
    [ "$(tail -c 7 "$f")" = "</svg>" ] || { why="SVG does not end with </svg>"; return 1; }
    ! grep -qiwE 'inf|nan|infinity' "$f" || { why="SVG says $(grep -oiwE 'inf|nan|infinity' "$f" | head -n 1)"; return 1; }
    x=$(grep -o '<text x="[^"]*" y="464.0" text-anchor="middle">[^<]*<' "$f" | sed 's/.*>//; s/<$//')
    y=$(grep -o 'text-anchor="end">[^<]*<' "$f" | sed 's/.*>//; s/<$//')
    for axis in x y; do
        local labels=${!axis} n u
        n=$(printf '%s\n' "$labels" | grep -c .)
        u=$(printf '%s\n' "$labels" | grep . | sort -u | wc -l)
        [ "$n" -ge 2 ] && [ "$n" -le 12 ] && [ "$u" -eq "$n" ] && ! printf '%s\n' "$labels" | grep -q '.\{11\}' ||
            { why="$axis axis: $n tick labels, $u distinct: $(printf '%s' "$labels" | tr '\n' ' ' | cut -c1-300)"; return 1; }
    done
    why="$size bytes; x: $(printf '%s' "$x" | tr '\n' ' '); y: $(printf '%s' "$y" | tr '\n' ' ')"
}

# no_inf: plot's own output says no inf or nan, and has no sanitizer report (for a -fsanitize build)
no_inf() { ! printf '%s' "$out" | grep -qiwE 'inf|nan|infinity|runtime error|AddressSanitizer' || { why="said: $out"; return 1; }; }

# --- (a) --ymax far below the data's scale
make_log small 20 "1 / i" "0.5 / i" "i"
run ymax-tiny --ymax 1e-18 "$dir/small.csv"
check "ymax-tiny: --ymax 1e-18 over a log of errors near 0.1 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok ymax-tiny && no_inf'
run ymax-huge --ymax 1e300 "$dir/small.csv"
check "ymax-huge: --ymax 1e300 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok ymax-huge && no_inf'

# --- (b) values around 1e-30, and target distances around 2e-10 as train --diagnostics logs them
make_log tiny 30 "1e-30 * (1 + i / 30)" "1e-30 * (1 + i / 30)" "i"
run tiny-error "$dir/tiny.csv"
check "tiny-error: test errors around 1e-30 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok tiny-error && no_inf'
run tiny-loss --metric train_loss "$dir/tiny.csv"
check "tiny-loss: --metric train_loss around 1e-30 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok tiny-loss && no_inf'
make_log underflow 30 "i == 7 ? 1e-300 : 1e-30 * (1 + i / 30)" "0.1" "i"
run tiny-log --metric train_loss --log-y "$dir/underflow.csv"
check "tiny-log: --log-y around 1e-30 with one value at 1e-300 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok tiny-log && no_inf'
make_log diag 40 "0.3" "0.1" "i" target_1 "2e-10 + 1e-11 * sin(i)"
run diag-target --metric target_1 "$dir/diag.csv"
check "diag-target: --metric target_1 of distances around 2e-10 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok diag-target && no_inf'
make_log subnormal 10 "2.2250738585072014e-308 * i" "0.1" "i"
run subnormal --metric train_loss "$dir/subnormal.csv"
check "subnormal: --metric train_loss from DBL_MIN to 10 DBL_MIN (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok subnormal && no_inf'
make_log seconds 10 "1" "0.1" "1e-20 * i"
run hours-tiny --x hours "$dir/seconds.csv"
check "hours-tiny: --x hours of runs of 1e-20 s per epoch (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok hours-tiny && no_inf'

# --- (c) values of +-1e308: drawn where they are not error rates, refused where they are
make_log huge 20 "(i % 2 ? 1 : -1) * 1e308" "0.1" "i"
run huge-loss --metric train_loss "$dir/huge.csv"
check "huge-loss: --metric train_loss of +-1e308, the y axis down to the lowest (exit status $rc)" \
      '[ "$rc" -eq 0 ] && svg_ok huge-loss && no_inf && grep -q "text-anchor=\"end\">-1.0e+308<" "$dir/huge-loss.svg"'
make_log decades 20 "10 ^ (30 * i - 300)" "0.1" "i"
run huge-log --metric train_loss --log-y "$dir/decades.csv"
check "huge-log: --log-y over 1e-270 to 1e300 (exit status $rc)" '[ "$rc" -eq 0 ] && svg_ok huge-log && no_inf'
for v in 1e308 -1e308; do
    make_log "error$v" 5 "1" "$v" "i"
    run "error$v" "$dir/error$v.csv"
    check "huge-error$v: a test_error of $v is refused, not drawn as $v * 100% (exit status $rc): $out" \
          '[ "$rc" -ne 0 ] && [ ! -e "$dir/error$v.svg" ] && printf "%s" "$out" | grep -q "error$v.csv:2: test_error" && no_inf'
done

# --- (d) the row limit: 600000 forward epochs are drawn (in a small SVG), 1000001 refused naming the limit
make_log rows-1000001 1000001 "1 / i" "0.5 / i" "i"
head -n 600001 "$dir/rows-1000001.csv" > "$dir/rows-600000.csv"
run rows-600000 "$dir/rows-600000.csv"
check "rows-600000: a log of 600000 forward epochs is drawn (exit status $rc)" \
      '[ "$rc" -eq 0 ] && printf "%s" "$out" | grep -q "600000 forward epochs" && svg_ok rows-600000 && no_inf'
run rows-1000001 "$dir/rows-1000001.csv"
check "rows-1000001: a log of 1000001 forward epochs is refused (exit status $rc): $out" \
      '[ "$rc" -eq 1 ] && [ ! -e "$dir/rows-1000001.svg" ] && printf "%s" "$out" | grep -q "rows-1000001.csv:1000002: .*1000000" && no_inf'
exit $fail
