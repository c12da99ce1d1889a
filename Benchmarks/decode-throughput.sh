#!/usr/bin/env bash
# Decoding throughput of the manifest (YAML) and API (JSON) paths, per CPU-second, and the floor
# (libyaml's own parse of the same bytes). Usage, from the repository root:
#   Benchmarks/decode-throughput.sh manifest FILE [SECONDS]
#   Benchmarks/decode-throughput.sh api FILE [SECONDS]
# SOURCES=DIR takes ClusterRegistry and DNSWire from another checkout (a before/after comparison
# with the same runner); OUT=DIR is where the build goes (.build/decode-throughput by default).
#
# Compiled with swiftc as Fuzz/run.sh compiles its targets (ClusterRegistry's sources and
# Benchmarks/DecodeThroughput/main.swift as one module, so the runner calls the decoder's internal
# entry points), optimized as `swift build -c release` builds them, without sanitizers. Yams (with
# libyaml), DNSWire and Logging are separate modules, from the checkouts in .build/checkouts.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
src=${SOURCES:-$here}
out=${OUT:-$here/.build/decode-throughput}
checkouts=${CHECKOUTS:-$here/.build/checkouts}
[ -d "$checkouts/Yams" ] || swift package resolve >/dev/null
yams=$checkouts/Yams/Sources logsrc=$checkouts/swift-log/Sources/Logging m=$out/modules
mkdir -p "$m"
opt=(-O -enforce-exclusivity=unchecked)
stale() {
  local bin=$1; shift
  [ -e "$bin" ] || return 0
  for f in "$@"; do [ "$f" -nt "$bin" ] && return 0; done
  return 1
}
mapfile -t dnswire < <(find "$src/Sources/DNSWire" -name '*.swift' | sort)
mapfile -t yamsSwift < <(find "$yams/Yams" -name '*.swift' | sort)
mapfile -t logging < <(find "$logsrc" -name '*.swift' | sort)
mapfile -t registry < <(find "$src/Sources/ClusterRegistry" -name '*.swift' | sort)
registry+=(Benchmarks/DecodeThroughput/main.swift)
if stale "$m/libYams.a" "${yamsSwift[@]}"; then
  echo "decode-throughput: building Yams" >&2
  rm -f "$m"/cyaml-*.o
  for c in "$yams"/CYaml/src/*.c; do
    clang -c -O2 -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" -o "$m/cyaml-$(basename "$c" .c).o" "$c"
  done
  swiftc -O -parse-as-library -swift-version 5 -D SWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" \
    -module-name Yams -emit-module -emit-module-path "$m/Yams.swiftmodule" -emit-library -static -o "$m/libYams.a" "${yamsSwift[@]}"
fi
if stale "$m/libDNSWire.a" "${dnswire[@]}"; then
  echo "decode-throughput: building DNSWire" >&2
  swiftc "${opt[@]}" -parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny -module-name DNSWire \
    -emit-module -emit-module-path "$m/DNSWire.swiftmodule" -emit-library -static -o "$m/libDNSWire.a" "${dnswire[@]}"
fi
if stale "$m/libLogging.a" "${logging[@]}"; then
  echo "decode-throughput: building Logging" >&2
  swiftc -O -parse-as-library -swift-version 5 -package-name swift_log -module-name Logging \
    -emit-module -emit-module-path "$m/Logging.swiftmodule" -emit-library -static -o "$m/libLogging.a" "${logging[@]}"
fi
bin=$out/decode-throughput
if stale "$bin" "${registry[@]}" "$m/libYams.a" "$m/libDNSWire.a" "$m/libLogging.a"; then
  echo "decode-throughput: building $bin" >&2
  swiftc "${opt[@]}" -g -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
    -I "$m" -I "$yams/CYaml/include" -Xcc -DYAML_DECLARE_STATIC -module-name ClusterRegistry \
    -o "$bin" "${registry[@]}" "$m/libDNSWire.a" "$m/libYams.a" "$m/libLogging.a" "$m"/cyaml-*.o
fi
exec "$bin" "$@"
