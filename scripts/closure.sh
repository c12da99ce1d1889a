#!/usr/bin/env bash
# Copies a binary and everything `ldd` says it loads (the shared libraries by path, and the
# dynamic loader) into DIR, keeping their paths: the root filesystem of a `FROM scratch` image.
# deploy/Containerfile and the closure test (Tests/IntegrationTests/StaticClosureTests.swift)
# both use it, so the test checks what the image holds.
#   scripts/closure.sh .build-static/release/clusterdns /tmp/rootfs
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 BINARY DIR" >&2; exit 2; fi
bin=$1 dir=$2
mkdir -p "$dir"
cp "$bin" "$dir/clusterdns"
# Debug sections go (119 MB → 91 MB today); the symbol table stays, so a crash's backtrace
# still names functions.
if command -v strip > /dev/null; then strip --strip-debug "$dir/clusterdns"; fi
# `libx.so.1 => /lib/.../libx.so.1 (0x…)` for libraries, `/lib64/ld-linux-x86-64.so.2 (0x…)` for
# the loader; `linux-vdso.so.1` is the kernel's and has no file.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
  cp -L --parents "$lib" "$dir/"
done
if ldd "$bin" | grep -q 'not found'; then echo "closure: missing libraries:" >&2; ldd "$bin" | grep 'not found' >&2; exit 1; fi
