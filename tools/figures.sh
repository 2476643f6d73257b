#!/usr/bin/env bash
# make figures: the paper's Figures 4 to 8 as this project draws them, and the rules' alignment
# with backprop, shortened to about half an hour on two cores (the README says what
# each shortening is). Every program continues where it stopped when run again; FRESH=1 starts
# over.
#   tools/figures.sh [OUT_DIR]    (default results/figures)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/figures}
build=${BUILD:-build}
[ "${FRESH:-0}" = 1 ] && rm -rf "$out"
mkdir -p "$out/curves"
step() { printf '\n== %s\n' "$*"; }

step "Figure 8: learning curves, MNIST FC, 20 epochs per rule (the paper: up to 500)"
for run in "bp parallel" "fa parallel" "dfa parallel" "dtp alternating" "sdtp parallel" "aosdtp parallel"; do
    set -- $run
    log="$out/curves/mnist-fc-$1-$2.csv"
    extra=()
    # SDTP: Table 5's inverse Adam (beta1 0.99, beta2 0.95) diverges here; see results/README.md
    [ "$1" = sdtp ] && extra=(--hparams table5 --inverse-beta1 0.9 --inverse-beta2 0.999)
    if [ -s "$log" ] && [ "$(grep -c -v -e ',inverse,' -e '^epoch' "$log")" -ge 20 ]; then echo "$log: done before"; continue; fi
    "$build/train" --arch mnist-fc --rule "$1" --schedule "$2" --epochs 20 --quiet --log "$log" "${extra[@]}"
    echo "$log"
done
c="$out/curves/mnist-fc"
"$build/plot" -o "$out/learning-curves.svg" --title "MNIST, fully connected: train (dashed) and test (solid) error" \
    --metric both --ymax 10 --label BP "$c-bp-parallel.csv" --label FA "$c-fa-parallel.csv" \
    --label DFA "$c-dfa-parallel.csv" --label "DTP alternating" "$c-dtp-alternating.csv" \
    --label "SDTP parallel" "$c-sdtp-parallel.csv" --label "AO-SDTP parallel" "$c-aosdtp-parallel.csv"

step "Figure 5: random search, MNIST FC, SDTP parallel, 60 trials of 3 epochs, two at a time (the paper: full runs)"
"$build/search" --arch mnist-fc --rule sdtp --schedule parallel --trials 60 --epochs 3 --jobs 2 \
    --dir "$out/search-mnist-fc-sdtp"

step "Figure 4: AO-SDTP against auxiliary size, MNIST FC, parallel, 10 epochs per size (the paper: CIFAR-10, 500)"
"$build/aux_sweep" --arch mnist-fc --sizes 0,16,64,128,256,512,1000 --epochs 10 --out "$out/aux-sweep"

step "Figures 6 and 7: MNIST autoencoder, BP, DTP and SDTP, 20 epochs each"
"$build/autoencoder" --rules bp,dtp,sdtp --epochs 20 --out "$out/autoencoder"

step "Not in the paper: how each rule's updates align with BP, MNIST FC, 10 epochs each with --diagnostics"
mkdir -p "$out/alignment"
a="$out/alignment/mnist-fc"
rules=$("$build/train" --list-rules | grep -v '^bp$')
labels=()
for rule in $rules; do
    log="$a-$rule.csv"
    extra=()
    [ "$rule" = sdtp ] && extra=(--hparams table5 --inverse-beta1 0.9 --inverse-beta2 0.999)
    labels+=(--label "$rule" "$log")
    if [ -s "$log" ] && [ "$(grep -c -v -e ',inverse,' -e '^epoch' "$log")" -ge 10 ]; then echo "$log: done before"; continue; fi
    "$build/train" --arch mnist-fc --rule "$rule" --epochs 10 --diagnostics --quiet --log "$log" "${extra[@]}"
    echo "$log"
done
for l in 1 2 3 4 5 6; do   # the top layer learns from the task loss under every rule: 0 degrees
    "$build/plot" -o "$out/alignment/mnist-fc-angle$l.svg" --title "MNIST FC: layer $l's update against the BP gradient" \
        --ylabel "angle (degrees)" --metric "angle_$l" "${labels[@]}" > /dev/null
done
fb=()
for rule in fa ss kp wm dtp sdtp dtpdrl ldrl; do fb+=(--label "$rule" "$a-$rule.csv"); done
for l in 2 6; do
    "$build/plot" -o "$out/alignment/mnist-fc-feedback$l.svg" --title "MNIST FC: layer $l's feedback matrix against W_$l" \
        --ylabel "angle (degrees)" --metric "feedback_$l" "${fb[@]}" > /dev/null
done
"$build/plot" -o "$out/alignment/mnist-fc-target1.svg" --title "MNIST FC: how far layer 1's target lies from its activity" \
    --ylabel "||h_1 - target_1||² / n" --metric target_1 --log-y \
    --label DTP "$a-dtp.csv" --label SDTP "$a-sdtp.csv" --label AO-SDTP "$a-aosdtp.csv" \
    --label DDTP "$a-ddtp.csv" --label DTP-DRL "$a-dtpdrl.csv" --label L-DRL "$a-ldrl.csv" > /dev/null

step "done: $out"
ls "$out"/*.svg "$out"/*/*.svg "$out"/*/*.png
