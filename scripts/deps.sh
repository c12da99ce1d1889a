#!/usr/bin/env bash
# Installs, from Debian, what a build or a test run needs and this machine lacks.
# Only packages that are absent are installed, so a ready machine does no apt work at all.
#   scripts/deps.sh build   libldns (the C library ClusterDNS links)
#   scripts/deps.sh test    + dig, kdig, drill, nsd, knot, curl, promtool, iproute2 (real peers for the tests)
set -euo pipefail
want=(pkg-config libldns-dev)
if [ "${1:-build}" = test ]; then
  want+=(bind9-dnsutils knot-dnsutils ldnsutils nsd knot curl prometheus iproute2 procps valgrind dnsmasq-base musl-tools util-linux)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "deps: missing ${missing[*]}; run as root or install them" >&2; exit 1; fi
# Packages such as nsd and knot start their daemons on install; tests start their own on loopback.
[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
