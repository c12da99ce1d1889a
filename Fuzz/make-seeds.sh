#!/usr/bin/env bash
# Regenerates the committed seed corpus Fuzz/corpus/ from Fuzz/SeedGenerator.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .fuzz
mapfile -t sources < <(find Sources/DNSWire -name '*.swift' | sort)
swiftc -parse-as-library -O -swift-version 6 -module-name DNSWireSeeds -o .fuzz/seed-generator \
  "${sources[@]}" Fuzz/SeedGenerator.swift
rm -rf Fuzz/corpus
mkdir -p Fuzz/corpus
.fuzz/seed-generator Fuzz/corpus
