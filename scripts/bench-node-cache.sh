#!/usr/bin/env bash
# Cache-hit CPU per query of `clusterdns node-cache` beside unbound (a caching forwarder), both in
# front of the same upstream, under the same dnsperf load (Docs/node-cache.md#what-a-cache-hit-costs).
# Not a timed test: it prints a table to read, and compares within one run.
#
#   scripts/bench-node-cache.sh [-d SECONDS] [-n NAMES] [-w WORKDIR]
#   CLUSTERDNS_BIN=.build/release/clusterdns (default)
#
# Both servers get the same 2 worker threads and see only cache hits: the query file asks NAMES
# (default 500) names under example.test, all answered once during a warm-up, then repeated for
# SECONDS (default 10). The upstream is `clusterdns serve` with one `file` zone; it is asked only
# during the warm-up. Only loopback addresses are used; node-cache runs without its interface and
# iptables rules (--no-setup-interface --no-setup-iptables), which cost nothing per query.
# dnsperf runs on CPU 0 and the server under test on CPU 1 (BENCH_PIN=0 to turn that off).
set -euo pipefail
DUR=10 NAMES=500 WORK=/tmp/clusterdns-bench-node-cache
while getopts "d:n:w:" o; do case $o in d) DUR=$OPTARG;; n) NAMES=$OPTARG;; w) WORK=$OPTARG;; *) exit 2;; esac; done
BIN=${CLUSTERDNS_BIN:-.build/release/clusterdns}
[ -x "$BIN" ] || { echo "no $BIN: run 'swift build -c release' or set CLUSTERDNS_BIN" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PIN=${BENCH_PIN:-1}; if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then GEN="taskset -c 0" SRV="taskset -c 1"; else GEN="" SRV=""; fi
for tool in dnsperf:dnsperf unbound:unbound dig:bind9-dnsutils; do
  command -v "${tool%%:*}" >/dev/null || scripts/deps.sh "${tool#*:}"
done
mkdir -p "$WORK"; rm -rf "${WORK:?}"/*
free_port() { python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_ready() { # port name
  for _ in $(seq 1 300); do dig @127.0.0.1 -p "$1" "$2" A +tries=1 +time=1 2>/dev/null | grep -q 'status: NOERROR' && return 0; sleep 0.1; done
  echo "nothing answers $2 on port $1" >&2; return 1; }
stop() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$1" 2>/dev/null || true; }

# ---- the zone and the query file: NAMES A records, each asked the same number of times
{ echo '$ORIGIN example.test.'; echo '$TTL 3600'
  echo '@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 3600'
  echo '@ IN NS ns.example.test.'; echo 'ns IN A 192.0.2.1'
  for i in $(seq 1 "$NAMES"); do echo "host$i IN A 192.0.2.$((i % 250 + 1))"; done; } >"$WORK/example.test.zone"
for i in $(seq 1 "$NAMES"); do echo "host$i.example.test A"; done >"$WORK/queries.txt"

# ---- the upstream
UP=$(free_port)
printf '.:%s {\n    bind 127.0.0.1\n    file %s/example.test.zone example.test\n}\n' "$UP" "$WORK" >"$WORK/upstream.Corefile"
"$BIN" serve --conf "$WORK/upstream.Corefile" --workers 1 >"$WORK/upstream.log" 2>&1 & PIDS+=($!)
wait_ready "$UP" host1.example.test

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
perf() { # port pid -> "qps lost_pct cpu_us_per_query"
  local t0 t1 out hz; hz=$(getconf CLK_TCK); t0=$(cpu_ticks "$2")
  out=$($GEN dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries.txt" -l "$DUR" -c 8 -q 500 -t 2 2>&1)
  t1=$(cpu_ticks "$2")
  echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$hz" '
    /Queries sent:/ {sent=$3} /Queries completed:/ {done_=$3} /Queries lost:/ {lost=$3} /Queries per second:/ {qps=$4}
    END { printf "%.0f %.2f %.2f\n", qps, (sent ? 100*lost/sent : 0), (done_ ? 1e6*ticks/hz/done_ : 0) }'
}
warm() { dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries.txt" -n 2 -c 1 -q 50 -t 2 >/dev/null 2>&1; }

start() { # name port -> TPID
  case $1 in
  unbound)
    cat >"$WORK/unbound.conf" <<C
server:
    interface: 127.0.0.1@$2
    port: $2
    num-threads: 2
    so-reuseport: yes
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$WORK"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    local-zone: "test." nodefault
    domain-insecure: "."
    msg-cache-size: 64m
    rrset-cache-size: 128m
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$UP
C
    $SRV unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.log" 2>&1 & TPID=$! ;;
  node-cache)
    # The built-in Corefile: external names go to --upstream-servers through `cache 30`, the cluster
    # zone (unused here) to --cluster-dns over TCP. Health and metrics on free loopback ports.
    $SRV "$BIN" node-cache --local-ip 127.0.0.1 --dns-port "$2" --no-setup-interface --no-setup-iptables \
      --cluster-dns "127.0.0.1:$UP" --upstream-servers "127.0.0.1:$UP" --corefile "$WORK/node-cache.Corefile" \
      --basecorefile "" --health-port "$(free_port)" --metrics-address "127.0.0.1:$(free_port)" \
      --metrics-listen-address "" --workers 2 >"$WORK/node-cache.log" 2>&1 & TPID=$! ;;
  esac
  PIDS+=($TPID)
}

RES=$WORK/results.tsv; : >"$RES"
for target in unbound node-cache; do
  port=$(free_port)
  start "$target" "$port"
  wait_ready "$port" host1.example.test
  warm "$port"
  DUR=2 perf "$port" "$TPID" >/dev/null
  read -r qps lost cpu < <(perf "$port" "$TPID")
  printf '%s\t%s\t%s\t%s\n' "$target" "$qps" "$lost" "$cpu" >>"$RES"
  stop "$TPID"
done
echo "# $(date -u +%F) $(nproc) cores, $(uname -r); pinned=$PIN; dnsperf -l $DUR -c 8 -q 500; $NAMES names, all cache hits"
printf '%-11s %9s %7s %9s %9s\n' target QPS "lost %" "CPU us/q" "CPU/unbound"
ub=$(awk -F'\t' '$1=="unbound"{print $4}' "$RES")
while IFS=$'\t' read -r t q l c; do
  printf '%-11s %9s %7s %9s %9s\n' "$t" "$q" "$l" "$c" "$(awk -v a="$c" -v b="$ub" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "-" }')"
done <"$RES"
