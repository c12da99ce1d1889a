# ClusterDNS — see README.md. Every target installs what it lacks first (scripts/deps.sh).
SWIFT      ?= swift
CONF       ?= Zones/Corefile
MANIFESTS  ?=
FUZZ_SECONDS ?= 60
RELEASE_BIN := .build/release/clusterdns
# `make static`: its own build tree, so the flag does not rebuild the normal release tree.
STATIC_SCRATCH := .build-static
STATIC_BIN := $(STATIC_SCRATCH)/release/clusterdns
# The Kubernetes schema validator for deploy/kubernetes (PyPI; ships its schemas, works offline).
PYTHON ?= python3

# Debian packages: what building needs, and what the tests run against (real peers and clients):
# dig (bind9-dnsutils), ldns-read-zone (ldnsutils), nsd, curl, promtool (prometheus), ip (iproute2),
# dnsmasq, musl-gcc (musl-tools), unshare (util-linux), python3 (the glibc cross-check's responder),
# iptables (node-cache's conntrack bypass rules, nft mode).
# knot and knot-dnsutils are used by no test today (kept for the peer benchmarks); valgrind, for
# Benchmarks/README.md's DHAT cross-check, is installed by hand.
BUILD_PACKAGES := pkg-config libldns-dev
TEST_PACKAGES  := $(BUILD_PACKAGES) bind9-dnsutils knot-dnsutils ldnsutils nsd knot curl prometheus libcap2-bin \
                  iproute2 dnsmasq-base musl-tools util-linux python3 openssl iptables

.PHONY: all deps deps-test deps-kubectl bench-api bench-registry bench-peers build build-debug static validate-manifests serve test bench fuzz soak clean

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

## static: a self-contained release binary (Swift runtime linked in) at .build-static/release/clusterdns,
## and what it still loads from the system (scripts/closure.sh copies exactly that into an image)
static: deps
	$(SWIFT) build -c release --product clusterdns --static-swift-stdlib --scratch-path $(STATIC_SCRATCH)
	@ls -l $(STATIC_BIN)
	ldd $(STATIC_BIN)

## validate-manifests: deploy/kubernetes against the Kubernetes API schemas (installs the validator if missing)
# (Debian's own python3 refuses a plain pip install (PEP 668); the retry says it is meant.)
validate-manifests:
	@$(PYTHON) -c 'import kubernetes_validate' 2>/dev/null || $(PYTHON) -m pip install -q kubernetes-validate \
		|| $(PYTHON) -m pip install -q --break-system-packages kubernetes-validate
	$(PYTHON) -m kubernetes_validate --strict deploy/kubernetes/*.yaml deploy/kubernetes/node-cache/*.yaml

## serve: the server on the embedded default Corefile (port 53)
serve: build
	$(RELEASE_BIN) serve --conf $(CONF) $(if $(MANIFESTS),--manifests $(MANIFESTS))

## test: the whole suite (unit, cross-checks against libldns, integration against real processes, the
## fake Kubernetes API checked against kubectl, 0 allocations per query counted by the release build of
## clusterdns-alloc-check) and a fuzz pass of every target, TEST_FUZZ_SECONDS each
## (20 s; 30 s when CI is set)
TEST_FUZZ_SECONDS ?= $(if $(CI),30,20)
test: deps-test deps-kubectl validate-manifests static
	$(SWIFT) build -c release --product clusterdns-alloc-check --static-swift-stdlib --scratch-path $(STATIC_SCRATCH)
	$(SWIFT) build --build-tests
	CLUSTERDNS_REQUIRE_STATIC=1 CLUSTERDNS_REQUIRE_ALLOC_CHECK=1 CLUSTERDNS_ALLOC_CHECK=$(STATIC_SCRATCH)/release/clusterdns-alloc-check $(SWIFT) test --skip-build --parallel --num-workers 2
	$(PYTHON) -m unittest discover -s Tests/FakeAPIServer
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

## deps-kubectl: a real Kubernetes client for the fake API's honesty test (Debian's kubernetes-client,
## unless some kubectl is already installed: two packages cannot both own /usr/bin/kubectl)
deps-kubectl:
	@command -v kubectl >/dev/null || scripts/deps.sh kubernetes-client

## bench: microbenchmarks (ns/op, mallocs/op) from the Benchmarks package
bench: deps
	cd Benchmarks && $(SWIFT) run -c release ClusterDNSBenchmarks

## bench-peers: ClusterDNS beside NSD, Knot and unbound serving one generated cluster, each pinned to
## CPU 1 with dnsperf on CPU 0: QPS and server CPU µs per answered query over UDP, pipelined TCP and
## one query per TCP connection (Docs/performance.md). BENCH_PEERS_ARGS passes options to
## scripts/bench-peers.py: --services N (2000), --duration S (10), --experiment workers|cache.
PEER_PACKAGES := dnsperf nsd knot unbound gcc util-linux
BENCH_PEERS_ARGS ?=
bench-peers: build
	@scripts/deps.sh $(PEER_PACKAGES)
	$(PYTHON) scripts/bench-peers.py --binary $(RELEASE_BIN) $(BENCH_PEERS_ARGS)

## bench-api: convergence of three replicas watching the fake Kubernetes API (Docs/kubernetes-api.md);
## BENCH_API_ARGS="--services 100000 --replicas 1" adds the first sync, memory and a 410 relist at that size
bench-api: build
	$(PYTHON) scripts/api-convergence.py --binary $(RELEASE_BIN) $(BENCH_API_ARGS)

## bench-registry: a change answered how fast, and memory across 1 000 changes and relists, at SERVICES (Docs/registry.md)
SERVICES ?= 100000
bench-registry: build
	$(PYTHON) scripts/registry-churn.py --binary $(RELEASE_BIN) --services $(SERVICES)

## fuzz: every libFuzzer target (message, corefile, manifest, apistream) for FUZZ_SECONDS seconds each
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

## soak: SOAK_SECONDS (300) of a mixed workload at 80 % of the measured maximum rate, answers
## checked, while the manifest directory changes every 100 ms and the upstream drops and delays
## queries (scripts/soak.py; not part of make test). Report in Docs/reliability.md
SOAK_SECONDS ?= 300
soak: build
	$(PYTHON) scripts/soak.py --binary $(RELEASE_BIN) --seconds $(SOAK_SECONDS) $(SOAK_FLAGS)

clean:
	rm -rf .build .build-* Benchmarks/.build Fuzz/.build .fuzz
