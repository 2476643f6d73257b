#!/usr/bin/env bash
# Time the PyTorch peer (an external script, not part of this project) on one case and
# print its training throughput in examples/s on stdout. Used by examples/bench.c.
#
#   tools/bench-peer.sh NET ALG THREADS [full|quick|MAX_BATCHES]
#   tools/bench-peer.sh --check      exit 0 and describe the peer when it can run, else
#                                    print why not and exit 3
#
#   NET      fc | lc (or mnist-fc | mnist-lc): the peer has only the MNIST FC and LC nets
#   ALG      bp | fa | dfa | dtp | sdtp
#   THREADS  OpenMP / torch threads
#
# Environment:
#   TP_PEER        the peer script (default ../shared/peer/torch_tp.py beside the repository)
#   TP_PEER_DATA   directory of the MNIST IDX files (default data/mnist; `make data` fetches it)
#   TP_PEER_BATCH  minibatch size (default 128)
#   PYTHON         interpreter with torch (default /usr/bin/python3, where Debian's
#                  python3-torch lands)
#
# The peer times whole epochs without a warm-up, so it runs two short epochs of
# MAX_BATCHES batches and the second epoch's rate is reported (the first pays for torch's
# lazy initialisation). --val 256 makes its per-epoch evaluation (untimed, but slow on the
# LC net) use 256 held-out training examples instead of the 10,000 test images. It needs:
#   apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-openmp
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER=${TP_PEER:-$ROOT/../shared/peer/torch_tp.py}
DATA=${TP_PEER_DATA:-$ROOT/data/mnist}
BATCH=${TP_PEER_BATCH:-128}
PY=${PYTHON:-/usr/bin/python3}
INSTALL="apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-openmp"

# why_not: print the reason the peer cannot run, or nothing
why_not() {
    if [[ ! -f $PEER ]]; then
        echo "peer script not found at $PEER (set TP_PEER or pass bench --peer PATH)"
    elif [[ ! -x $PY ]] || ! "$PY" -c "import torch, numpy" >/dev/null 2>&1; then
        echo "$PY cannot import torch and numpy (install: $INSTALL)"
    elif [[ ! -f $DATA/train-images-idx3-ubyte || ! -f $DATA/train-labels-idx1-ubyte ||
            ! -f $DATA/t10k-images-idx3-ubyte || ! -f $DATA/t10k-labels-idx1-ubyte ]]; then
        echo "the peer needs the MNIST IDX files in $DATA: run \`make data\` (or set TP_PEER_DATA)"
    fi
}

if [[ ${1:-} == --check ]]; then
    reason=$(why_not)
    if [[ -n $reason ]]; then echo "$reason"; exit 3; fi
    echo "$("$PY" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null), $PEER, data $DATA"
    exit 0
fi
if [[ $# -lt 3 || ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | grep -v '^set -euo' | sed 's/^# \{0,1\}//'
    exit 2
fi

NET=${1#mnist-}
ALG=$2
THREADS=$3
MODE=${4:-full}
case $NET in fc|lc) ;; *) echo "bench-peer: the peer has no net $1 (only fc, lc)" >&2; exit 2 ;; esac
case $ALG in bp|fa|dfa|dtp|sdtp) ;; *) echo "bench-peer: the peer has no algorithm $ALG" >&2; exit 2 ;; esac
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || { echo "bench-peer: bad thread count $THREADS" >&2; exit 2; }

# batches per timed epoch: about 1-4 s each at the README's rates
case $MODE in
    full)  if [[ $NET == fc ]]; then NB=150; else NB=15; fi ;;
    quick) if [[ $NET == fc ]]; then NB=40; else NB=5; fi ;;
    *)     [[ $MODE =~ ^[1-9][0-9]*$ ]] || { echo "bench-peer: bad mode $MODE" >&2; exit 2; }; NB=$MODE ;;
esac

reason=$(why_not)
if [[ -n $reason ]]; then echo "bench-peer: $reason" >&2; exit 3; fi

# the de-noising inverse loss for SDTP, as targetprop.h's SDTP uses
EXTRA=()
if [[ $ALG == sdtp ]]; then EXTRA=(--inv_loss denoise); fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! OMP_NUM_THREADS=$THREADS "$PY" "$PEER" --net "$NET" --alg "$ALG" --threads "$THREADS" \
        --batch "$BATCH" --epochs 2 --max_batches "$NB" --val 256 --data "$DATA" --json "$tmp/out.jsonl" \
        ${EXTRA[@]+"${EXTRA[@]}"} >"$tmp/log" 2>&1; then
    echo "bench-peer: the peer failed:" >&2
    tail -n 5 "$tmp/log" >&2
    exit 1
fi

# the last epoch's ex_per_s from the JSON summary, else from its "(X ex/s" line
eps=$(tail -n 1 "$tmp/out.jsonl" 2>/dev/null | grep -o '"ex_per_s": *[0-9.eE+-]*' | sed 's/.*: *//' || true)
if [[ -z $eps ]]; then
    eps=$(grep -o '([0-9.]* ex/s' "$tmp/log" | tail -n 1 | tr -d '(' | sed 's/ ex\/s//' || true)
fi
if [[ -z $eps ]]; then
    echo "bench-peer: no examples/s in the peer's output:" >&2
    tail -n 5 "$tmp/log" >&2
    exit 1
fi
echo "$eps"
