// swift-tools-version: 6.2
//
// ClusterDNS: a Kubernetes cluster-DNS server.
// Module graph, exactly as the imports are (one way, nothing imports up; Docs/architecture.md has
// the same list, and DocsCheckTests compares that one with the sources' import lines):
//   clusterdns                 ─► Server, Simulator, NodeCache, ControlHTTP, KubernetesHTTP, Plugins, EventLoop, Corefile, DNSWire
//   clusterdns-alloc-check     ─► Plugins, EventLoop, Corefile, DNSWire, ClusterDNSCSystem
//   Server                     ─► Plugins, EventLoop, SystemCalls, Corefile, DNSWire
//   Simulator                  ─► Plugins, ClusterRegistry, Corefile, SystemCalls, DNSWire
//   NodeCache                  ─► Plugins, DNSWire, ClusterDNSCSystem
//   ControlHTTP                ─► Plugins (+ HummingbirdCore)
//   KubernetesHTTP             ─► ClusterRegistry (+ AsyncHTTPClient, NIOSSL)
//   Plugins                    ─► ClusterRegistry, ZoneFile, Corefile, SystemCalls, DNSWire — never EventLoop
//   EventLoop                  ─► SystemCalls, ClusterDNSCSystem
//   ClusterRegistryTestSupport ─► ClusterRegistry, DNSWire (tests and Benchmarks/ only)
//   ClusterRegistry            ─► DNSWire (+ Yams, swift-log)
//   ZoneFile                   ─► ClusterDNSCSystem, DNSWire
//   Corefile                   ─► SystemCalls
//   SystemCalls                ─► ClusterDNSCSystem
//   DNSWire                    ─► nothing
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Release builds skip the runtime exclusivity checks: on the query path (requests and
    // response builders held in classes) they cost about a quarter of the engine's time.
    // Debug builds, which every test runs, keep them on.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "ClusterDNS",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clusterdns", targets: ["clusterdns"]),
        // For Benchmarks/, a separate package that depends on this one by path.
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "ClusterRegistry", targets: ["ClusterRegistry"]),
        .library(name: "Plugins", targets: ["Plugins"]),
        // Test support: large generated clusters for measurements (tests and Benchmarks/ only).
        .library(name: "ClusterRegistryTestSupport", targets: ["ClusterRegistryTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The Kubernetes API source's HTTP client (control plane only, module KubernetesHTTP).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        // Counts allocations for clusterdns-alloc-check (a dynamic library that replaces malloc in
        // the process linking it: only that executable links it, never a test target).
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        // One C shim for every system header we need (epoll, recvmmsg, inotify, signalfd, libldns):
        // all of them must see the same _GNU_SOURCE, or Clang reports conflicting `fd_set` definitions.
        // Target and Clang module are named ClusterDNSCSystem (the folder stays Sources/CSystem):
        // swift-nio pulls in swift-system, whose C target and module are called CSystem; SwiftPM wants
        // target names unique, and Clang refuses two module maps of one name in a module that sees both
        // (the executable, which links EventLoop and the async-http-client transport).
        .target(
            name: "ClusterDNSCSystem",
            path: "Sources/CSystem",
            linkerSettings: [.linkedLibrary("ldns")]
        ),
        .target(name: "DNSWire", swiftSettings: swiftSettings),
        // The one wrapper layer over system calls (NIO's `System.swift` semantics: EINTR retried,
        // EAGAIN a value, errno named per call site), socket addresses and service threads.
        .target(name: "SystemCalls", dependencies: ["ClusterDNSCSystem"], swiftSettings: swiftSettings),
        // Reads its files (the Corefile, imports) through SystemCalls.
        .target(name: "Corefile", dependencies: ["SystemCalls"], swiftSettings: swiftSettings),
        .target(name: "EventLoop", dependencies: ["SystemCalls", "ClusterDNSCSystem"], swiftSettings: swiftSettings),
        .target(
            name: "ClusterRegistry",
            dependencies: [
                "DNSWire",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `SyntheticCluster`: big, realistic clusters built in memory for the memory and speed
        // measurements. Test targets and Benchmarks/ link it; no module of the server does.
        .target(name: "ClusterRegistryTestSupport", dependencies: ["ClusterRegistry", "DNSWire"], swiftSettings: swiftSettings),
        .target(name: "ZoneFile", dependencies: ["ClusterDNSCSystem", "DNSWire"], swiftSettings: swiftSettings),
        .target(
            name: "Plugins",
            dependencies: [
                "DNSWire", "ClusterRegistry", "ZoneFile", "Corefile", "SystemCalls",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP endpoints of `health`, `ready` and `prometheus` (Hummingbird on its own threads),
        // kept out of the DNS data path's modules: only the executable links it.
        .target(
            name: "ControlHTTP",
            dependencies: [
                "Plugins",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP client of the Kubernetes API source (async-http-client, swift-nio-ssl), kept out
        // of the DNS data path's modules like ControlHTTP: only the executable links it.
        .target(
            name: "KubernetesHTTP",
            dependencies: [
                "ClusterRegistry",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Server",
            dependencies: [
                "Plugins", "EventLoop", "SystemCalls", "Corefile", "DNSWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `clusterdns node-cache`: the per-node tier's interface (rtnetlink through the C shim),
        // iptables rules, Corefile template and setup metrics; the DNS side is the Server's.
        .target(
            name: "NodeCache",
            dependencies: [
                "ClusterDNSCSystem", "DNSWire", "Plugins",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Simulator",
            dependencies: ["DNSWire", "Plugins", "Corefile", "ClusterRegistry", "SystemCalls", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "clusterdns",
            dependencies: [
                "Server", "Simulator", "Corefile", "DNSWire", "Plugins", "EventLoop", "ControlHTTP", "KubernetesHTTP", "NodeCache",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `make test` runs it (IntegrationTests/AllocationTests): 0 allocations per query on every
        // path that answers from memory. Its own process, because the interposer it links replaces
        // malloc process-wide (Docs/performance.md).
        .executableTarget(
            name: "clusterdns-alloc-check",
            dependencies: [
                "Plugins", "Corefile", "DNSWire", "EventLoop", "ClusterDNSCSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Sources/AllocationCheck",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "LDNSCrossCheckTests", dependencies: ["DNSWire", "ClusterDNSCSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "CorefileTests", dependencies: ["Corefile"], swiftSettings: swiftSettings),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "ClusterDNSCSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "ClusterRegistryTests", dependencies: ["ClusterRegistry", "ClusterRegistryTestSupport", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "ZoneFileTests", dependencies: ["ZoneFile", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "PluginsTests", dependencies: ["Plugins", "DNSWire", "ClusterRegistry", "ClusterRegistryTestSupport", "Corefile", "SystemCalls"], swiftSettings: swiftSettings),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Plugins", "EventLoop"], swiftSettings: swiftSettings),
        .testTarget(name: "NodeCacheTests", dependencies: ["NodeCache", "DNSWire", "Plugins"], swiftSettings: swiftSettings),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["DNSWire"],
            swiftSettings: swiftSettings
        ),
    ]
)
