# What the fetch scripts share (sourced by tools/fetch-*.sh after they set NAME, DIR, FILES and SHA):
# the sha256 of a file, whether DIR holds every file verified, a download with curl or wget, and the
# temporary directory a fetch works in ($TMP, removed on exit; its out/ is $OUT).
sha() { sha256sum "$1" | cut -d' ' -f1; }
all_ok() { # all_ok DIR: true if every file is present with the right hash
  local f
  for f in "${FILES[@]}"; do
    [[ -f $1/$f && $(sha "$1/$f") == "${SHA[$f]}" ]] || return 1
  done
}
download() { # download URL OUT
  if command -v curl >/dev/null; then curl -fsSL --connect-timeout 20 --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q --timeout=20 -O "$2" "$1"
  else return 1; fi
}
fetch_start() { # exits 0 when DIR is already complete; else makes $TMP and $OUT
  if all_ok "$DIR"; then echo "$NAME: $DIR already complete and verified"; exit 0; fi
  mkdir -p "$DIR"
  TMP=$(mktemp -d "$DIR/.fetch.XXXXXX"); TMP=$(cd "$TMP" && pwd)
  trap 'rm -rf "$TMP"' EXIT
  OUT=$TMP/out; mkdir "$OUT"
}
