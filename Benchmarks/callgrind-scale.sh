#!/bin/bash
# Instructions and simulated cache misses per cluster question, by question kind, at two cluster
# sizes: what a question costs when the index no longer fits in the CPU's caches.
# Docs/performance.md, "Cost at 100 000 services".
#
#   Benchmarks/callgrind-scale.sh [SIZES] [OUTDIR]        e.g. Benchmarks/callgrind-scale.sh "2000 100000"
#
# Runs the release ClusterDNSScaleProfile (cd Benchmarks && swift build -c release --product
# ClusterDNSScaleProfile) once per size under `valgrind --tool=callgrind --cache-sim=yes`: every
# kind asks 16 384 different names (or as many as the cluster has) twice, each kind in its
# own `profile_<kind>` function after one warm-up pass, whose inclusive cost / queries is the
# figure; instrumentation is switched on only once the cluster is built. The simulated
# last-level cache is set to 4 MiB, 16-way (one core's L2 on the development machine: the
# shared L3 of a busy host is not one process's), D1 to the host's. Ir and misses repeat to the
# unit from run to run; time does not.
set -euo pipefail
sizes=${1:-2000 100000}
out=${2:-/tmp/clusterdns-callgrind-scale}
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/.build/release/ClusterDNSScaleProfile"
[ -x "$bin" ] || { echo "build it first: cd Benchmarks && swift build -c release --product ClusterDNSScaleProfile" >&2; exit 1; }
mkdir -p "$out"
# valgrind 3.19 cannot read the DWARF 5 debug info Swift writes: a copy without it, symbols kept.
strip --strip-debug -o "$out/scale-profile" "$bin"
names=${NAMES:-16384} passes=2
printf '%-8s %-14s %8s %9s %8s %8s\n' services kind queries Ir/query D1miss/q LLmiss/q
for n in $sizes; do
  file="$out/callgrind-$n.out"
  # Instrumentation off while the cluster is built (minutes under valgrind at 100 000 services),
  # on for the queries: the tool waits on its standard input until `callgrind_control -i on`.
  rm -f "$out/go-$n"; mkfifo "$out/go-$n"
  valgrind --tool=callgrind --cache-sim=yes --LL=4194304,16,64 --instr-atstart=no --callgrind-out-file="$file" \
    "$out/scale-profile" --services "$n" --names "$names" --passes "$passes" --wait < "$out/go-$n" > "$out/scale-$n.txt" 2> "$out/scale-$n.log" &
  pid=$!
  exec 3> "$out/go-$n"
  until grep -q '^ready' "$out/scale-$n.txt" 2>/dev/null; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  callgrind_control -i on "$pid" > /dev/null 2>&1
  echo go >&3; exec 3>&-
  wait "$pid"
  callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null | sed -E 's/\( *[0-9.]+%\)//g; s/,//g' > "$out/callgrind-$n.txt"
  # Events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw (a "." is 0)
  while read -r kind count; do
    line=$(grep -E "[0-9]profile_${kind}y" "$out/callgrind-$n.txt" | head -1 | sed 's/ \. / 0 /g; s/ \. / 0 /g')
    [ -n "$line" ] || { echo "$n $kind: no profile (see $out/scale-$n.log)"; continue; }
    q=$((count * passes))
    echo "$line" | awk -v n="$n" -v k="$kind" -v q="$q" \
      '{ printf "%-8s %-14s %8d %9.1f %8.2f %8.2f\n", n, k, q, $1 / q, ($5 + $6) / q, ($8 + $9) / q }'
  done < <(awk '$2 ~ /^[0-9]+$/ && NF == 4 { print $1, $2 }' "$out/scale-$n.txt")
done
