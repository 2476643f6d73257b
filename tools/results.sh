#!/usr/bin/env bash
# Print the best test error and the epoch it was reached for every training log given
# (CSV files written by `train --log`), as markdown table rows.
#   tools/results.sh results/mnist-fc-*.csv
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: tools/results.sh LOG.csv..." >&2; exit 2; }
printf '| log | forward epochs | best test error %% | at epoch | last test error %% |\n|---|---:|---:|---:|---:|\n'
for f in "$@"; do
    awk -F, -v name="$(basename "$f" .csv)" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["phase"] != "inverse" {
            n++; e = $col["test_error"] + 0
            if (n == 1 || e < best) { best = e; at = n }
            last = e
        }
        END { if (n) printf "| %s | %d | %.2f | %d | %.2f |\n", name, n, 100 * best, at, 100 * last }' "$f"
done
