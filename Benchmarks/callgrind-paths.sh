#!/bin/bash
# Instructions per query on each engine path of clusterdns-alloc-check, counted by callgrind:
# repeatable (unlike time on a shared machine), user space only. Docs/performance.md, "Profile".
#
#   Benchmarks/callgrind-paths.sh [CHECKER] [OUTDIR]
#
# CHECKER defaults to the tree `make test` builds (.build-static/release/clusterdns-alloc-check).
# Each path runs alone (CLUSTERDNS_ALLOC_ONLY) with collection switched on only inside
# QueryEngine.handle, which the checker calls 4 101 times per path (1 answer check, 100 warm-up,
# 2 × 2 000 measured), so Ir per query = collected Ir / 4 101. valgrind 3.19 cannot read the DWARF 5
# debug info Swift writes, so it runs a copy without it (symbols kept).
set -euo pipefail
checker=${1:-.build-static/release/clusterdns-alloc-check}
out=${2:-/tmp/clusterdns-callgrind}
mkdir -p "$out"
strip --strip-debug -o "$out/alloc-check" "$checker"
cp "$(dirname "$checker")/libMallocInterposerSwift.so" "$out/"
export LD_LIBRARY_PATH="$out"
symbol=$(nm "$out/alloc-check" | grep -o '\$s7Plugins11QueryEngineC6handle6packet5route6outputAC7OutcomeOSW_AA5RouteVSwtF' | head -1)
calls=4101
for label in "registry ClusterIP A" "registry headless A" "registry SRV" "registry headless SRV" "registry PTR" \
             "registry NXDOMAIN" "registry NODATA" "autopath (pod" "autopath (every" "cache hit"; do
  file="$out/callgrind-$(echo "$label" | tr -c 'A-Za-z0-9\n' '_').out"
  CLUSTERDNS_ALLOC_ONLY="$label" valgrind --tool=callgrind --callgrind-out-file="$file" --toggle-collect="$symbol" \
    "$out/alloc-check" > /dev/null 2> "$file.log" || true
  ir=$(grep -o 'Collected : [0-9]*' "$file.log" | grep -o '[0-9]*$' || true)
  if [ -z "$ir" ] || [ "$ir" = 0 ]; then echo "$label: not run (see $file.log)"; continue; fi
  printf '%-28s %12s Ir  %9.1f Ir/query\n' "$label" "$ir" "$(echo "$ir / $calls" | bc -l)"
done
