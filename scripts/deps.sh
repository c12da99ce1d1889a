#!/usr/bin/env bash
# Installs, from Debian, the packages named on the command line that this machine lacks; a ready
# machine does no apt work at all. The Makefile holds the lists (BUILD_PACKAGES, TEST_PACKAGES).
#   scripts/deps.sh pkg-config libldns-dev
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "deps: missing ${missing[*]}; run as root or install them" >&2; exit 1; fi
# Packages such as nsd and knot start their daemons on install; tests start their own on loopback.
# A policy-rc.d that refuses every start keeps them stopped during this install only: it is
# removed when the script ends (a left-over one would stop every service installed later from
# starting). One that was there before is left alone. (DEPS_POLICY_RC_D moves it, for the test.)
policy=${DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
