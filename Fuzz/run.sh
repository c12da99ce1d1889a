#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS.
#   Fuzz/run.sh SECONDS [TARGET] [libFuzzer flags...]
#   e.g. Fuzz/run.sh 60 · Fuzz/run.sh 30 corefile · Fuzz/run.sh 0 manifest -runs=10000000
# TARGET is message (the DNSWire codec), corefile (the Corefile lexer and parser), manifest
# (the YAML/JSON manifest decoder) or apistream (the Kubernetes API's JSON stream framer and
# parser, fed in random chunks); all four when omitted. SECONDS=0 means no time limit (pass
# -runs=N then). Exits non-zero when libFuzzer finds a crash, a leak, a timeout or an
# out-of-memory; the input that did it is left in .fuzz/artifacts/ (FUZZ_DIR=DIR: DIR instead of .fuzz).
#
# Targets are compiled with swiftc directly (SwiftPM has no switch for -sanitize=fuzzer): the
# module under test and its Fuzz/<Name>Fuzzer.swift as one module, so the entry point sees the
# module's internal symbols. The ClusterRegistry targets need Yams (with libyaml), DNSWire and
# swift-log's Logging, built first as separate modules (from the checkouts `swift build` made in
# .build/checkouts). The corefile target compiles Fuzz/CorefileFuzzFileSystem.swift in place of
# Sources/Corefile/FileSystem.swift: imports resolve in a tree held in memory, never on the disk.
#
# Instrumentation: our code (the module under test, and DNSWire) gets AddressSanitizer and
# libFuzzer's coverage (edges, comparisons); third-party code (Yams, libyaml, swift-log) gets
# AddressSanitizer only, so its memory errors are still caught, but libFuzzer neither pays for
# tracing its every comparison nor steers by its branches (see Docs/reliability.md, Fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: Fuzz/run.sh SECONDS [message|corefile|manifest|apistream] [libFuzzer flags...]}
shift
targets=(message corefile manifest apistream)
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then targets=("$1"); shift; fi

# Binaries, corpora, logs and artifacts go to FUZZ_DIR (.fuzz by default); a second directory
# lets a short pass run while a long run uses .fuzz.
out=${FUZZ_DIR:-.fuzz}
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -swift-version 6
       -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility)
# Third-party modules: AddressSanitizer without coverage.
thirdparty_swift=(-sanitize=address -parse-as-library -O -g -swift-version 5)
thirdparty_c=(-O2 -g -fsanitize=address)
# Prebuilt modules are kept in .fuzz/modules; they are rebuilt when the way they are built changes.
build_recipe="v2 asan-only third-party; corefile in-memory file system"
mkdir -p "$out/artifacts" "$out/modules"
if [ "$(cat "$out/modules/recipe" 2>/dev/null)" != "$build_recipe" ]; then
  rm -rf "$out/modules" "$out"/*-fuzzer
  mkdir -p "$out/modules"
  echo "$build_recipe" >"$out/modules/recipe"
fi

# Rebuilds $1 when it is missing or older than any of the remaining arguments.
stale() {
  local bin=$1; shift
  [ -e "$bin" ] || return 0
  for f in "$@"; do [ "$f" -nt "$bin" ] && return 0; done
  return 1
}

build_message() {
  mapfile -t sources < <(find Sources/DNSWire -name '*.swift' | sort)
  sources+=(Fuzz/MessageFuzzer.swift)
  if stale "$1" "${sources[@]}"; then
    echo "fuzz: building $1" >&2
    swiftc "${flags[@]}" -module-name DNSWireFuzz -o "$1" "${sources[@]}"
  fi
}

build_corefile() {
  mapfile -t sources < <(find Sources/Corefile -name '*.swift' ! -name FileSystem.swift | sort)
  sources+=(Fuzz/CorefileFuzzer.swift Fuzz/CorefileFuzzFileSystem.swift)
  if stale "$1" "${sources[@]}"; then
    echo "fuzz: building $1" >&2
    swiftc "${flags[@]}" -module-name CorefileFuzz -o "$1" "${sources[@]}"
  fi
}

# Yams (with libyaml) and swift-log's Logging as separate modules with AddressSanitizer only,
# DNSWire with coverage too (our code), which ClusterRegistry imports; then ClusterRegistry's
# sources and the target's entry point ($2) as one.
build_registry_target() {
  local yams=.build/checkouts/Yams/Sources logsrc=.build/checkouts/swift-log/Sources/Logging m=$out/modules
  [ -d "$yams" ] && [ -d "$logsrc" ] || swift package resolve >/dev/null
  mapfile -t dnswire < <(find Sources/DNSWire -name '*.swift' | sort)
  mapfile -t yamsSwift < <(find "$yams/Yams" -name '*.swift' | sort)
  mapfile -t logging < <(find "$logsrc" -name '*.swift' | sort)
  mapfile -t registry < <(find Sources/ClusterRegistry -name '*.swift' | sort)
  registry+=("$2")
  if stale "$m/libYams.a" "${yamsSwift[@]}"; then
    echo "fuzz: building Yams" >&2
    rm -f "$m"/cyaml-*.o
    for c in "$yams"/CYaml/src/*.c; do
      clang -c "${thirdparty_c[@]}" -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" \
        -o "$m/cyaml-$(basename "$c" .c).o" "$c"
    done
    swiftc "${thirdparty_swift[@]}" -D SWIFT_PACKAGE \
      -Xcc -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" -module-name Yams -emit-module -emit-module-path "$m/Yams.swiftmodule" \
      -emit-library -static -o "$m/libYams.a" "${yamsSwift[@]}"
  fi
  if stale "$m/libDNSWire.a" "${dnswire[@]}"; then
    echo "fuzz: building DNSWire" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 \
      -enable-upcoming-feature ExistentialAny -module-name DNSWire -emit-module -emit-module-path "$m/DNSWire.swiftmodule" \
      -emit-library -static -o "$m/libDNSWire.a" "${dnswire[@]}"
  fi
  if stale "$m/libLogging.a" "${logging[@]}"; then
    echo "fuzz: building Logging" >&2
    swiftc "${thirdparty_swift[@]}" \
      -package-name swift_log -module-name Logging -emit-module -emit-module-path "$m/Logging.swiftmodule" \
      -emit-library -static -o "$m/libLogging.a" "${logging[@]}"
  fi
  if stale "$1" "${registry[@]}" "$m/libYams.a" "$m/libDNSWire.a" "$m/libLogging.a"; then
    echo "fuzz: building $1" >&2
    swiftc "${flags[@]}" -I "$m" -I "$yams/CYaml/include" -Xcc -DYAML_DECLARE_STATIC -module-name ClusterRegistry \
      -o "$1" "${registry[@]}" "$m/libDNSWire.a" "$m/libYams.a" "$m/libLogging.a" "$m"/cyaml-*.o
  fi
}

# The Swift runtime's own backtracer would race AddressSanitizer and libFuzzer for the crash report.
export SWIFT_BACKTRACE=enable=no
# AddressSanitizer's quarantine of freed memory (256 MiB by default) was most of the 500-770 MB RSS
# of a long run; 64 MiB still catches a use after free of anything freed in the last few thousand
# inputs. No allocation stacks (malloc_context_size=0; 13 % of apistream's CPU time): a crash still
# shows its own stack; re-run the artifact with ASAN_OPTIONS=malloc_context_size=30 for where the
# memory was allocated and freed. Set ASAN_OPTIONS to override both.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64:malloc_context_size=0}
status=0
for target in "${targets[@]}"; do
  bin=$out/$target-fuzzer
  case $target in
    message)  build_message "$bin";  seeds=Fuzz/corpus;          extra=(-max_len=65535 -dict=Fuzz/dns.dict) ;;
    corefile) build_corefile "$bin"; seeds=Fuzz/corefile-corpus; extra=(-max_len=4096) ;;
    manifest) build_registry_target "$bin" Fuzz/ManifestFuzzer.swift
              seeds=Fuzz/manifest-corpus; extra=(-max_len=262144 -rss_limit_mb=1024) ;;
    apistream) build_registry_target "$bin" Fuzz/APIStreamFuzzer.swift
              seeds=Fuzz/apistream-corpus; extra=(-max_len=65536 -rss_limit_mb=1024) ;;
    *) echo "fuzz: unknown target '$target' (message, corefile, manifest, apistream)" >&2; exit 2 ;;
  esac
  work=$out/$target-corpus
  mkdir -p "$work"
  limit=()
  [ "$seconds" != 0 ] && limit=(-max_total_time="$seconds")
  log=$out/$target-last-run.log
  set +e
  # New inputs go to $out/<target>-corpus (first directory); the committed seeds are read only.
  "$bin" -timeout=20 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" "${extra[@]}" \
    "${limit[@]}" "$@" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc != 0 ]; then
    tail -60 "$log" >&2
    echo "fuzz: $target FAILED (exit $rc) after ${runs:-?} executions; see $log and $out/artifacts/" >&2
    status=$rc
    continue
  fi
  echo "fuzz: $target: ${runs:-?} executions, no crash ($(ls "$seeds" | wc -l) seeds, $(ls "$work" | wc -l) corpus units)"
done
exit $status
