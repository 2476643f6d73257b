#!/usr/bin/env bash
# Fetch the Fashion-MNIST IDX files into DIR (default data/fashion) and verify their sha256.
# Usage: tools/fetch-fashion-mnist.sh [DIR]
# Routes, in order: the files installed by Debian's package dataset-fashion-mnist,
# `apt-get download dataset-fashion-mnist` (no root needed), the upstream mirror.
# FASHION_MNIST_SYSDIR overrides where the installed package's files are looked for.
set -euo pipefail

DIR=${1:-data/fashion}
DEB_PKG=dataset-fashion-mnist
SYSDIR=${FASHION_MNIST_SYSDIR:-/usr/share/datasets/fashion-mnist}
DEB_SUBDIR=usr/share/datasets/fashion-mnist
MIRRORS=(http://fashion-mnist.s3-website.eu-central-1.amazonaws.com)
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA=(
  [train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
  [train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
  [t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
  [t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

NAME=fashion
# shellcheck source=tools/fetch-lib.sh
. "$(dirname "$0")/fetch-lib.sh"
gunzip_all() { # gunzip_all SRCDIR: unpack SRCDIR/<file>.gz for every file into $OUT
  local f
  for f in "${FILES[@]}"; do
    gzip -dc "$1/$f.gz" >"$OUT/$f" 2>/dev/null || { rm -f "$OUT"/*; return 1; }
  done
}

fetch_start

from_installed() {
  [[ -d $SYSDIR ]] || { echo "fashion: $SYSDIR not found (package $DEB_PKG not installed)"; return 1; }
  echo "fashion: trying installed files in $SYSDIR"
  gunzip_all "$SYSDIR"
}

from_apt() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "fashion: apt-get/dpkg-deb not found"; return 1
  fi
  echo "fashion: trying apt-get download $DEB_PKG"
  local deb debs
  (cd "$TMP" && apt-get download -q "$DEB_PKG" >"$TMP/apt.log" 2>&1) \
    || { echo "fashion: apt-get download failed:"; sed 's/^/  /' "$TMP/apt.log"; return 1; }
  debs=("$TMP/$DEB_PKG"_*.deb)
  deb=${debs[0]}
  [[ -f $deb ]] || { echo "fashion: apt-get download left no .deb"; return 1; }
  mkdir "$TMP/deb"
  dpkg-deb -x "$deb" "$TMP/deb" || return 1
  gunzip_all "$TMP/deb/$DEB_SUBDIR"
}

from_mirror() { # from_mirror BASEURL
  echo "fashion: trying $1"
  for f in "${FILES[@]}"; do
    download "$1/$f.gz" "$OUT/$f.gz" && gunzip -f "$OUT/$f.gz" || { rm -f "$OUT"/*; return 1; }
  done
}

out_ok() { # out_ok ROUTE: true if every file in $OUT has the right hash, else say which does not
  local f actual
  for f in "${FILES[@]}"; do
    actual=$(sha "$OUT/$f")
    if [[ $actual != "${SHA[$f]}" ]]; then
      echo "fashion: sha256 mismatch for $f from $1"
      echo "  expected ${SHA[$f]}"
      echo "  actual   $actual"
      return 1
    fi
  done
}

ROUTES=(installed apt)
for m in "${MIRRORS[@]}"; do ROUTES+=("mirror $m"); done
got=false
for r in "${ROUTES[@]}"; do
  # shellcheck disable=SC2086 # "mirror URL" splits into function and argument
  if from_$r && out_ok "$r"; then got=true; break; fi
  rm -f "$OUT"/*
done
$got || { echo "fashion: ERROR: every route failed ($SYSDIR, apt-get download $DEB_PKG, ${MIRRORS[*]})." >&2
          echo "fashion: install the Debian package (as root: apt-get update && apt-get install $DEB_PKG) and rerun this script," >&2
          echo "fashion: or download the four .gz files from ${MIRRORS[0]}/, gunzip them into $DIR and rerun it." >&2
          exit 1; }

for f in "${FILES[@]}"; do mv -f "$OUT/$f" "$DIR/$f"; echo "fashion: $f ok"; done
echo "fashion: done, files in $DIR"
