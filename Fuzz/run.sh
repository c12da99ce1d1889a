#!/usr/bin/env bash
# Builds the DNSWire libFuzzer target and runs it.
#   Fuzz/run.sh SECONDS [libFuzzer flags...]     e.g. Fuzz/run.sh 60, Fuzz/run.sh 0 -runs=10000000
# SECONDS=0 means no time limit (pass -runs=N then). Exits non-zero when libFuzzer finds a crash,
# a leak or a timeout; the input that did it is left in .fuzz/artifacts/.
#
# The target is compiled with swiftc directly, DNSWire's sources and Fuzz/MessageFuzzer.swift as
# one module: SwiftPM has no switch for -sanitize=fuzzer, and one module needs no import.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: Fuzz/run.sh SECONDS [libFuzzer flags...]}
shift

out=.fuzz
bin=$out/dnswire-fuzzer
mkdir -p "$out/corpus" "$out/artifacts"
mapfile -t sources < <(find Sources/DNSWire -name '*.swift' | sort)
sources+=(Fuzz/MessageFuzzer.swift)

stale=0
[ -x "$bin" ] || stale=1
for f in "${sources[@]}"; do [ "$f" -nt "$bin" ] && stale=1; done
if [ $stale = 1 ]; then
  echo "fuzz: building $bin" >&2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
    -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
    -module-name DNSWireFuzz -o "$bin" "${sources[@]}"
fi

limit=()
[ "$seconds" != 0 ] && limit=(-max_total_time="$seconds")
log=$out/last-run.log
set +e
# The Swift runtime's own backtracer would race AddressSanitizer and libFuzzer for the crash report.
export SWIFT_BACKTRACE=enable=no
# New inputs go to .fuzz/corpus (first directory); the committed seeds in Fuzz/corpus are read only.
"$bin" -max_len=65535 -timeout=20 -dict=Fuzz/dns.dict -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
  "${limit[@]}" "$@" "$out/corpus" Fuzz/corpus >"$log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ $rc != 0 ]; then
  tail -60 "$log" >&2
  echo "fuzz: FAILED (exit $rc) after ${runs:-?} executions; see $log and $out/artifacts/" >&2
  exit $rc
fi
grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs)' "$log" | tail -1 >&2 || true
echo "fuzz: ${runs:-?} executions, no crash ($(ls Fuzz/corpus | wc -l) seeds, $(ls "$out/corpus" | wc -l) corpus units)"
