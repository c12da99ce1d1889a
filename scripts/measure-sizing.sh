#!/usr/bin/env bash
# Measures what ClusterDNS needs for a cluster: resident memory once loaded, and CPU time per
# query under load (Docs/deploy.md, "Sizing"). Serves deploy/Corefile (the kubeadm Corefile)
# over a manifest directory in its own network and mount namespaces (root needed), so port 53
# and the kubeadm ports are free and nothing leaves the machine.
#   scripts/measure-sizing.sh BINARY CLUSTER_DIR [QUERIES] [WORKERS]
# CLUSTER_DIR is what scripts/gen-cluster.py wrote (manifests/ and names.txt).
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 BINARY CLUSTER_DIR [QUERIES] [WORKERS]" >&2; exit 2; fi
bin=$(readlink -f "$1") cluster=$(readlink -f "$2") queries=${3:-200000} workers=${4:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${MEASURE_SIZING_INSIDE:-}" ]; then
  exec unshare --net --mount env MEASURE_SIZING_INSIDE=1 "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The upstream of `forward . /etc/resolv.conf`: a documentation address with no route in the
# empty namespace (nothing leaves it); cluster names never use it.
echo "nameserver 192.0.2.53" > "$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf
"$bin" serve --conf "$here/deploy/Corefile" --manifests "$cluster/manifests" --workers "$workers" \
  > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:8181/ready > /dev/null && break; sleep 0.1; done
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }   # utime + stime, in clock ticks
grep -o 'registry loaded.*\|objects=[^[]*' "$work/server.log" | head -1 | sed 's/^/registry: /'
echo "rss after load: $(kb VmRSS) kB"
ticks=$(getconf CLK_TCK)
before=$(cpu)
if [ -s "$cluster/names.txt" ]; then
  python3 "$here/scripts/query-load.py" 127.0.0.1 53 "$cluster/names.txt" --queries "$queries"
  after=$(cpu)
  awk -v t=$((after - before)) -v hz="$ticks" -v q="$queries" \
    'BEGIN { printf "server cpu: %.2f s for %d queries = %.1f us/query\n", t / hz, q, t / hz / q * 1e6 }'
fi
echo "rss after queries: $(kb VmRSS) kB, peak $(kb VmHWM) kB"
kill -TERM "$pid"
wait "$pid" || true
if [ -n "${MEASURE_SIZING_LOG:-}" ]; then cat "$work/server.log"; fi
