#!/usr/bin/env bash
# Downsampled ImageNet end to end on a small set made here in the published formats (pickles of numpy
# arrays for the training batches, .npz for the validation set): tools/imagenet_records.py's records
# against numpy's own reading of the same files, its refusals, and train on the result, streamed and in
# memory alike (the same log to the last digit).
#   tests/imagenet.sh [BUILD_DIR]
set -u
build=${1:-build}
. "$(dirname "$0")/lib.sh"
conv=tools/imagenet_records.py
py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import numpy' 2> /dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then say "skip imagenet: no python3 with numpy to write the published formats"; exit 0; fi

# make SIDE DIR: ten training batches of 3 or 4 images (pickle protocol 2) and a validation .npz
make_set() {
    "$py" - "$1" "$2" <<'PY'
import sys, pickle, numpy as np
side, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(side)
for k in range(1, 11):
    n = 3 + k % 2
    d = {"data": rng.integers(0, 256, (n, 3 * side * side), dtype=np.uint8),
         "labels": [int(v) for v in rng.integers(1, 1001, n)], "mean": np.zeros(3 * side * side)}
    if k == 1:
        d["labels"][:2] = [1000, 1]
    with open(f"{out}/train_data_batch_{k}", "wb") as f:
        pickle.dump(d, f, protocol=2)
np.savez(f"{out}/val_data.npz", data=rng.integers(0, 256, (5, 3 * side * side), dtype=np.uint8),
         labels=rng.integers(1, 1001, 5))
PY
}
# same SRC OUT: whether OUT's records hold SRC's images (planes to channels-last) and labels - 1
same() {
    "$py" - "$1" "$2" <<'PY'
import sys, pickle, numpy as np
src, out = sys.argv[1], sys.argv[2]
data, labels = [], []
for k in range(1, 11):
    d = pickle.load(open(f"{src}/train_data_batch_{k}", "rb"))
    data.append(d["data"]); labels += d["labels"]
for name, x, y in (("train", np.concatenate(data), np.array(labels)),
                   ("val", np.load(f"{src}/val_data.npz")["data"], np.load(f"{src}/val_data.npz")["labels"])):
    side = int(round((x.shape[1] // 3) ** 0.5))
    rec = np.fromfile(f"{out}/{name}.bin", dtype=np.uint8).reshape(len(x), 2 + x.shape[1])
    got_y = rec[:, 0].astype(int) + 256 * rec[:, 1].astype(int)
    want = x.reshape(-1, 3, side, side).transpose(0, 2, 3, 1).reshape(len(x), -1)
    if not (got_y == y - 1).all() or not (rec[:, 2:] == want).all():
        sys.exit(1)
PY
}

for side in 32 64; do
    mkdir -p "$dir/src$side"
    make_set $side "$dir/src$side"
    python3 $conv "$dir/src$side" "$dir/out$side" > "$dir/conv$side.out" 2>&1
    check "imagenet$side-convert: the records hold every image channels-last and every label less one" \
          'same "$dir/src$side" "$dir/out$side" && grep -q "35 images" "$dir/conv$side.out"'
done

mkdir -p "$dir/bad"
cp "$dir/src32"/train_data_batch_* "$dir/bad/"
python3 $conv "$dir/bad" "$dir/bad-out" > "$dir/bad.out" 2>&1; st=$?
check "imagenet-missing-val: exit 1 naming what is missing, nothing written" \
      '[ $st -eq 1 ] && grep -q "lacks val_data" "$dir/bad.out" && [ ! -e "$dir/bad-out/train.bin" ]'
cp "$dir/src64/val_data.npz" "$dir/bad/"
python3 $conv "$dir/bad" "$dir/bad-out" > "$dir/bad.out" 2>&1; st=$?
check "imagenet-mixed-sides: 64x64 validation images beside 32x32 training ones refused" \
      '[ $st -eq 1 ] && grep -q "64x64 images where the other files hold 32x32" "$dir/bad.out" && [ ! -e "$dir/bad-out/val.bin" ]'
"$py" -c 'import pickle, numpy as np
pickle.dump({"data": np.zeros((2, 3072), np.uint8), "labels": [5, 0]}, open("'"$dir"'/bad/train_data_batch_3", "wb"), protocol=2)'
cp "$dir/src32/val_data.npz" "$dir/bad/"
python3 $conv "$dir/bad" "$dir/bad-out" > "$dir/bad.out" 2>&1; st=$?
check "imagenet-label-0: a label outside 1..1000 named with its file" \
      '[ $st -eq 1 ] && grep -q "train_data_batch_3: label 0, expected 1..1000" "$dir/bad.out"'
printf 'cos\nsystem\n(S"echo hacked > %s/hacked"\ntR.' "$dir" > "$dir/bad/train_data_batch_3"
python3 $conv "$dir/bad" "$dir/bad-out" > "$dir/bad.out" 2>&1; st=$?
check "imagenet-hostile-pickle: a pickle that would run a command is refused, and runs nothing" \
      '[ $st -eq 1 ] && grep -q "os.system, which is not part of a numpy array" "$dir/bad.out" && [ ! -e "$dir/hacked" ]'

for s in yes no; do
    ./"$build"/train --dataset imagenet32 --data "$dir/out32" --arch imagenet32-lc --epochs 2 --batch 8 --threads 1 --quiet \
        --stream $s --log "$dir/log-$s.csv" > "$dir/train-$s.out" 2>&1
done
check "imagenet-train: streamed from disk and loaded into memory, the same run to the last digit" \
      '[ "$(wc -l < "$dir/log-yes.csv")" -eq 3 ] && cmp -s <(cut -d, -f1-5 "$dir/log-yes.csv") <(cut -d, -f1-5 "$dir/log-no.csv")'
./"$build"/train --dataset imagenet64 --data "$dir/out64" --arch "64x64x3 conv5x5/8/s4 maxpool2x2 fc1000" --epochs 1 --batch 8 \
    --threads 1 --quiet --log "$dir/log64.csv" > "$dir/train64.out" 2>&1
check "imagenet64-train: the 64x64 records train" '[ "$(wc -l < "$dir/log64.csv")" -eq 2 ]'
./"$build"/train --dataset imagenet32 --data "$dir/nowhere" --epochs 1 > "$dir/none.out" 2>&1; st=$?
check "imagenet-no-data: the missing file named, and how to make it" \
      '[ $st -ne 0 ] && grep -q "nowhere/train.bin" "$dir/none.out" && grep -q "tools/imagenet_records.py" "$dir/none.out"'
./"$build"/train --dataset imagenet32 --data "$dir/out64" --epochs 1 > "$dir/wrong.out" 2>&1; st=$?
check "imagenet-wrong-side: 64x64 records read as imagenet32 refused by their record size" \
      '[ $st -ne 0 ] && grep -q "multiple of 3074" "$dir/wrong.out"'
exit $fail
