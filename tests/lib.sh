# What the test scripts share (sourced by tests/*.sh): a temporary directory $dir, removed at exit
# with any background processes whose pids were added to pids; and the "ok NAME" / "FAIL NAME"
# lines, check NAME CONDITION, which sets fail=1 on a failure (the script's exit status).
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
fail=0
say() { printf '%s\n' "$*"; }
check() { if eval "$2"; then say "ok $1"; else say "FAIL $1"; fail=1; fi; }

# tiny_mnist DIR: a tiny MNIST in IDX files (100 training and 20 test images, every digit) in DIR
idx() { # idx FILE N BYTES_PER_ITEM HEADER
    { printf "$4"; awk -v n="$2" -v b="$3" 'BEGIN { for (i = 0; i < n; i++) for (j = 0; j < b; j++) printf "%c", b == 1 ? i % 10 : (i * 7 + j * 13) % 256 }'; } > "$1"
}
tiny_mnist() {
    mkdir -p "$1"
    LC_ALL=C idx "$1/train-images-idx3-ubyte" 100 784 '\x00\x00\x08\x03\x00\x00\x00\x64\x00\x00\x00\x1c\x00\x00\x00\x1c'
    LC_ALL=C idx "$1/train-labels-idx1-ubyte" 100 1 '\x00\x00\x08\x01\x00\x00\x00\x64'
    LC_ALL=C idx "$1/t10k-images-idx3-ubyte" 20 784 '\x00\x00\x08\x03\x00\x00\x00\x14\x00\x00\x00\x1c\x00\x00\x00\x1c'
    LC_ALL=C idx "$1/t10k-labels-idx1-ubyte" 20 1 '\x00\x00\x08\x01\x00\x00\x00\x14'
}
