# ClusterDNS — see README.md. Every target installs what it lacks first (scripts/deps.sh).
SWIFT      ?= swift
CONF       ?= Zones/Corefile
MANIFESTS  ?=
FUZZ_SECONDS ?= 60
RELEASE_BIN := .build/release/clusterdns

# Debian packages: what building needs, and what the tests run against (real peers and clients).
BUILD_PACKAGES := pkg-config libldns-dev
TEST_PACKAGES  := $(BUILD_PACKAGES) bind9-dnsutils knot-dnsutils ldnsutils nsd knot curl prometheus \
                  iproute2 procps valgrind dnsmasq-base musl-tools util-linux

.PHONY: all deps deps-test build build-debug serve test bench fuzz clean

all: build

deps:
	@scripts/deps.sh $(BUILD_PACKAGES)

deps-test:
	@scripts/deps.sh $(TEST_PACKAGES)

## build: release binary at .build/release/clusterdns
build: deps
	$(SWIFT) build -c release --product clusterdns

build-debug: deps
	$(SWIFT) build

## serve: the server on the embedded default Corefile (port 53)
serve: build
	$(RELEASE_BIN) serve --conf $(CONF) $(if $(MANIFESTS),--manifests $(MANIFESTS))

## test: the whole suite (unit, cross-checks against libldns, integration against real processes) and a short fuzz pass
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2
	$(MAKE) fuzz FUZZ_SECONDS=$(if $(CI),60,20)

## bench: microbenchmarks (ns/op, mallocs/op) from the Benchmarks package
bench: deps
	cd Benchmarks && $(SWIFT) run -c release ClusterDNSBenchmarks

## fuzz: every libFuzzer target (message, corefile, manifest) for FUZZ_SECONDS seconds each
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build .build-* Benchmarks/.build Fuzz/.build .fuzz
