#!/usr/bin/env bash
# The experiment programs: the search space sampler, resuming a search (finished trials skipped, an
# interrupted trial continued exactly), the PNG writer (decoded by an independent inflater), the
# SVGs of every program (well-formed XML), and the bench driver (rounds, table, CSV).
#   tests/examples.sh [BUILD_DIR]
set -u
build=${1:-build}
. "$(dirname "$0")/lib.sh"
search=$build/search

# --- the sampler: ranges, determinism per trial index, distribution of choices
"$search" --list --trials 4000 --seed 7 > "$dir/list.csv" || { say "FAIL search --list"; exit 1; }
"$search" --list --trials 25 --seed 7 > "$dir/list25.csv"
"$search" --list --trials 25 --seed 8 > "$dir/list25b.csv"
check "sampler-determinism: trial K's configuration does not depend on the number of trials" \
      '[ "$(head -26 "$dir/list.csv")" = "$(cat "$dir/list25.csv")" ]'
check "sampler-seed: another search seed draws other configurations" \
      '! cmp -s "$dir/list25.csv" "$dir/list25b.csv"'
stats=$(awk -F, 'NR > 1 {
    n++
    if ($3 < 1e-5 || $3 > 1e-2 || $7 < 1e-5 || $7 > 1e-2) bad++
    if ($11 < 0.01 || $11 > 0.4 || $12 < 0.01 || $12 > 0.4) bad++
    if (!($4 == 0.9 || $4 == 0.99) || !($8 == 0.9 || $8 == 0.99)) bad++
    if (!($5 == 0.95 || $5 == 0.99 || $5 == 0.999)) bad++
    if (!($6 == 0.001 || $6 == 0.0001 || $6 == 1e-06 || $6 == 1e-08)) bad++
    low += $3 < 1e-4; mid += $3 >= 1e-4 && $3 < 1e-3
    b1 += $4 == 0.9; b2 += $5 == 0.95; b2c += $5 == 0.999; e8 += $6 == 1e-08
    sig += $12; alph += $11; seeds[$2]++
  } END {
    dup = 0; for (s in seeds) if (seeds[s] > 1) dup++
    printf "%d %d %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %d\n", n, bad, low / n, mid / n, b1 / n, b2 / n, b2c / n, e8 / n,
           sig / n, alph / n, dup }' "$dir/list.csv")
read -r n bad low mid b1 b2 b2c e8 sig alph dup <<< "$stats"
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { exit !(a - b <= t && b - a <= t) }'; }
check "sampler-ranges: $n configurations, every value inside the Table 4 space" '[ "$n" -eq 4000 ] && [ "$bad" -eq 0 ]'
check "sampler-log-uniform: lr below 1e-4 $low, in [1e-4, 1e-3) $mid (1/3 each)" \
      'near "$low" 0.3333 0.035 && near "$mid" 0.3333 0.035'
check "sampler-choices: beta1 0.9 $b1 (1/2), beta2 0.95 $b2 and 0.999 $b2c (1/3), eps 1e-8 $e8 (1/4)" \
      'near "$b1" 0.5 0.035 && near "$b2" 0.3333 0.035 && near "$b2c" 0.3333 0.035 && near "$e8" 0.25 0.035'
check "sampler-uniform: mean sigma $sig, mean alpha $alph (0.205)" 'near "$sig" 0.205 0.01 && near "$alph" 0.205 0.01'
check "sampler-seeds: every trial has its own training seed" '[ "$dup" -eq 0 ]'

# --- a search on synthetic data: run, then resume with one result removed
args=(--dataset synthetic --arch "8x8x1 fc16 fc10" --rule sdtp --trials 4 --epochs 2 --batch 32 --threads 1)
"$search" "${args[@]}" --dir "$dir/s" --jobs 2 > "$dir/run1.txt" 2>&1
check "search-run: 4 trials, summary and histogram" \
      '[ "$(ls "$dir"/s/trial-*.result 2>/dev/null | wc -l)" -eq 4 ] && [ -s "$dir/s/summary.csv" ] && [ -s "$dir/s/histogram.svg" ]'
touch -d '2001-01-01' "$dir"/s/trial-00[013].result
rm -f "$dir/s/trial-002.result"
"$search" "${args[@]}" --dir "$dir/s" > "$dir/run2.txt" 2>&1
check "search-resume: only the unfinished trial runs again" \
      'grep -q "1 of 4 trials to run" "$dir/run2.txt" && [ -s "$dir/s/trial-002.result" ] &&
       [ "$(find "$dir/s" -name "trial-00[013].result" -newermt 2002-01-01 | wc -l)" -eq 0 ]'
"$search" --summary --dir "$dir/s" --dir "$dir/s" --out "$dir/two.svg" > "$dir/sum.txt" 2>&1
check "search-summary: best configuration as a Table 5 row, and the command to train it" \
      'grep -q "as a row of the paper" "$dir/sum.txt" && grep -q "to train it: train --arch" "$dir/sum.txt"'

# --- a trial killed after a checkpoint continues to the same result as one never interrupted
kargs=(--dataset synthetic --synthetic-n 4096 --arch "16x16x1 fc64 fc10" --rule dtp --trials 1 --epochs 40 --batch 32 --threads 1)
"$search" "${kargs[@]}" --trial 0 --dir "$dir/ref" > /dev/null 2>&1
"$search" "${kargs[@]}" --trial 0 --dir "$dir/k" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ -f "$dir/k/trial-000.ckpt" ] && break; sleep 0.01; done
sleep 0.1
kill -9 "$pid" 2>/dev/null
killed=$?
wait "$pid" 2>/dev/null
"$search" "${kargs[@]}" --trial 0 --dir "$dir/k" > "$dir/cont.txt" 2>&1
if [ "$killed" -ne 0 ]; then
    say "FAIL search-kill: the trial ended before it could be killed; nothing was tested"; fail=1
else
    check "search-kill: the killed trial continued from its checkpoint to the same result and log" \
          'grep -q "continues at epoch" "$dir/cont.txt" && cmp -s "$dir/ref/trial-000.result" "$dir/k/trial-000.result" &&
           [ "$(cut -d, -f1-5 "$dir/ref/trial-000.csv")" = "$(cut -d, -f1-5 "$dir/k/trial-000.csv")" ]'
fi

# --- pictures: the PNG decodes with an independent inflater; every SVG is well-formed XML
"$build/pictures" "$dir" || { say "FAIL pictures: the tick test or a writer failed (above)"; exit 1; }
if command -v file > /dev/null; then
    check "png-file: $(file -b "$dir/grid.png")" 'file -b "$dir/grid.png" | grep -q "PNG image data, 301 x 250, 8-bit grayscale"'
fi
py=$(command -v python3 || true)
if [ -n "$py" ]; then
    check "png-decode: CRCs, zlib stream and every pixel, by Python's zlib" '"$py" - "$dir/grid.png" <<"PY"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body) & 0xffffffff, kind
    if kind == b"IHDR":
        w, h, depth, color = struct.unpack(">IIBB", body[:10])
        assert (depth, color) == (8, 0)
    if kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
assert len(raw) == h * (w + 1)
for y in range(h):
    row = raw[y * (w + 1):(y + 1) * (w + 1)]
    assert row[0] == 0 and all(row[1 + x] == (x * 7 + y * 13) % 256 for x in range(w)), y
PY'
else
    say "skip png-decode: no python3 to decode with"
fi
"$build/plot" -o "$dir/curves.svg" --metric both "$dir"/s/trial-000.csv "$dir"/s/trial-001.csv > /dev/null
svgs=("$dir/lines.svg" "$dir/histogram.svg" "$dir/s/histogram.svg" "$dir/two.svg" "$dir/curves.svg")
if command -v xmllint > /dev/null; then
    check "svg-xml: ${#svgs[@]} SVGs (charts, histograms, learning curves) are well-formed XML" 'xmllint --noout "${svgs[@]}"'
elif [ -n "$py" ]; then
    check "svg-xml: ${#svgs[@]} SVGs are well-formed XML (Python's parser)" \
          '"$py" -c "import sys, xml.dom.minidom as m; [m.parse(p) for p in sys.argv[1:]]" "${svgs[@]}"'
else
    say "skip svg-xml: neither xmllint nor python3"
fi

# --- bench: the driver's rounds, its table and its CSV (timings are not checked)
"$build/bench" --quick --nets mnist-fc,mnist-lc --rules bp --threads 1,2 --batch 16 --rounds 2 --no-peer --no-gemm \
    --out "$dir/bench.csv" > "$dir/bench.txt" 2>&1
check "bench-csv: 4 cases, each with examples/s, GFLOP/s, peak memory, its 2 rounds and its time over BP's (1.00)" \
      '[ "$(awk -F, '"'"'NR > 1 && $4 > 0 && $5 > 0 && $6 > 0 && split($9, r, ";") == 2 && $13 == "1.00"'"'"' "$dir/bench.csv" | wc -l)" -eq 4 ] &&
       [ "$(grep -c "x2 *1.00\$" "$dir/bench.txt")" -eq 4 ] && grep -q "^# round 2 of 2" "$dir/bench.txt"'
"$build/bench" --rounds 0 > /dev/null 2>&1; rc=$?
check "bench-args: --rounds 0 is refused (exit status $rc)" '[ "$rc" -eq 2 ]'

# --- plot draws any column of a log, such as the diagnostics of train --diagnostics
"$build/train" --dataset synthetic --arch "8x8x1 fc16 fc16 fc10" --rule dtp --epochs 2 --batch 16 --threads 1 --quiet \
    --diagnostics --log "$dir/diag.csv" > /dev/null 2>&1
"$build/plot" -o "$dir/diag.svg" --metric target_1 --log-y "$dir/diag.csv" > /dev/null 2>&1; rc1=$?
"$build/plot" -o "$dir/none.svg" --metric target_9 "$dir/diag.csv" > "$dir/none.txt" 2>&1; rc2=$?
check "plot-column: a diagnostics column is drawn, a missing one named (exit statuses $rc1, $rc2)" \
      '[ "$rc1" -eq 0 ] && grep -q "<polyline" "$dir/diag.svg" && [ "$rc2" -ne 0 ] && grep -q "no \"target_9\" column" "$dir/none.txt"'

# --- inspect: one row per layer of a saved net; BP's update is BP's (angle 0 at every layer with
#     weights), FA's is not; the activity of a maxpool layer is its input's largest values
for r in bp fa; do
    "$build/train" --dataset synthetic --arch "8x8x2 conv3x3/4:elu maxpool2x2 fc16 fc10" --rule $r --epochs 1 --batch 16 \
        --threads 1 --quiet --save "$dir/in-$r.ckpt" > /dev/null 2>&1
    "$build/inspect" --batch 16 "$dir/in-$r.ckpt" > "$dir/in-$r.txt" 2>&1
done
"$build/inspect" "$dir/nothing.ckpt" > "$dir/in-none.txt" 2>&1; rc=$?
bp_angles=$(awk '$1 ~ /^[0-9]+$/ && $5 != "-" { printf "%s ", $6 }' "$dir/in-bp.txt")
fa_angles=$(awk '$1 ~ /^[0-9]+$/ && $5 != "-" { printf "%s ", $6 }' "$dir/in-fa.txt")
check "inspect: BP's angles to BP \"$bp_angles\" are 0 at the 3 layers with weights, FA's \"$fa_angles\" not all; a missing file named (exit status $rc)" \
      '[ "$(grep -c "^ *[1-4] " "$dir/in-bp.txt")" -eq 4 ] && [ "$bp_angles" = "0 0 0 " ] &&
       [ "$(echo $fa_angles | tr " " "\n" | grep -vc "^0$")" -ge 1 ] && [ "$rc" -eq 1 ] && grep -q "nothing.ckpt" "$dir/in-none.txt"'

# --- plot --x hours: epochs at the run's time, a resumed run's segments added up (its
#     seconds restart at 0): ends at 1, 2, 2.5 and 3.5 hours, so the gaps are 1 : 0.5 : 1
{ echo "epoch,train_loss,train_error,test_error,best_test_error,seconds,examples_per_s,phase,inverse_loss"
  echo "1,1,0.5,0.4,0.4,3600,10,parallel,0"; echo "2,1,0.5,0.3,0.3,7200,10,parallel,0"
  echo "3,1,0.5,0.2,0.2,1800,10,parallel,0"; echo "4,1,0.5,0.1,0.1,5400,10,parallel,0"; } > "$dir/resumed.csv"
"$build/plot" --x hours -o "$dir/hours.svg" "$dir/resumed.csv" > /dev/null 2>&1; rc=$?
gaps=$(grep -o 'points="[^"]*"' "$dir/hours.svg" | tr -d 'points="' | tr ' ' '\n' | cut -d, -f1 |
       awk 'NR > 1 { d[NR - 1] = $1 - p } { p = $1 } END { if (NR == 4) printf "%.3f %.3f", d[2] / d[1], d[3] / d[1] }')
check "plot-hours: epochs drawn at 1, 2, 2.5, 3.5 hours across a resume (exit status $rc, gap ratios \"$gaps\")" \
      '[ "$rc" -eq 0 ] && [ "$gaps" = "0.500 1.000" ] && grep -q ">hours<" "$dir/hours.svg"'

# --- a network that does not fit the data is refused before training, by train and by search
"$build/train" --dataset synthetic --arch "8x8x1 fc16 fc10 mse" --epochs 1 --threads 1 > "$dir/fit.txt" 2>&1; rc=$?
check "train-fit: an autoencoder with 10 outputs for 64 inputs is refused (exit status $rc)" \
      '[ "$rc" -ne 0 ] && grep -q "needs 64 outputs, has 10" "$dir/fit.txt"'
"$search" --dataset synthetic --arch "8x8x1 fc16 fc10 mse" --trials 1 --epochs 1 --batch 16 --threads 1 --dir "$dir/fit" \
    > "$dir/fit2.txt" 2>&1; rc=$?
check "search-fit: the same network is refused by search (exit status $rc)" \
      '[ "$rc" -ne 0 ] && grep -q "needs 64 outputs, has 10" "$dir/fit2.txt"'

# --- the initialiser is a choice of train's, said in its header; an unknown one is refused
"$build/train" --dataset synthetic --arch "8x8x1 fc16 fc10" --epochs 1 --threads 1 --init lecun > "$dir/lecun.txt" 2>&1; rc1=$?
"$build/train" --dataset synthetic --arch "8x8x1 fc16 fc10" --epochs 1 --threads 1 --init he > "$dir/he.txt" 2>&1; rc2=$?
check "train-init: --init lecun is accepted and said in the header, --init he refused (exit statuses $rc1, $rc2)" \
      '[ "$rc1" -eq 0 ] && grep -q "lecun init" "$dir/lecun.txt" && [ "$rc2" -eq 2 ] && grep -q "expected glorot or lecun" "$dir/he.txt"'

# --- the hard edges of every program (crafted checkpoints, write errors, divergence, command lines, threads)
tests/edges.sh "$build" || fail=1
tests/plot-edges.sh "$build" || fail=1
tests/search-edges.sh "$build" || fail=1
exit $fail
