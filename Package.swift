// swift-tools-version: 6.2
//
// ClusterDNS: a Kubernetes cluster-DNS server.
// Module graph (dependencies point one way, see Docs/architecture.md):
//   clusterdns ─► Server ─► Plugins ─► ClusterRegistry ─► DNSWire
//                      │            ├─► ZoneFile ─► CSystem, DNSWire
//                      │            ├─► Corefile
//                      │            └─► EventLoop ─► CSystem
//                      └─► Simulator ─► Plugins
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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        // One C shim for every system header we need (epoll, recvmmsg, inotify, signalfd, libldns):
        // all of them must see the same _GNU_SOURCE, or Clang reports conflicting `fd_set` definitions.
        .target(
            name: "CSystem",
            linkerSettings: [.linkedLibrary("ldns")]
        ),
        .target(name: "DNSWire", swiftSettings: swiftSettings),
        .target(name: "Corefile", swiftSettings: swiftSettings),
        .target(name: "EventLoop", dependencies: ["CSystem"], swiftSettings: swiftSettings),
        .target(
            name: "ClusterRegistry",
            dependencies: ["DNSWire", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "ZoneFile", dependencies: ["CSystem", "DNSWire"], swiftSettings: swiftSettings),
        .target(
            name: "Plugins",
            dependencies: [
                "DNSWire", "ClusterRegistry", "ZoneFile", "Corefile", "EventLoop",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Server",
            dependencies: [
                "Plugins", "EventLoop", "Corefile", "DNSWire", "ClusterRegistry",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Simulator",
            dependencies: ["DNSWire", "Plugins", "Corefile", "ClusterRegistry", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "clusterdns",
            dependencies: [
                "Server", "Simulator", "Corefile", "DNSWire", "Plugins", "EventLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "LDNSCrossCheckTests", dependencies: ["DNSWire", "CSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "CorefileTests", dependencies: ["Corefile"], swiftSettings: swiftSettings),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "CSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "ClusterRegistryTests", dependencies: ["ClusterRegistry", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "ZoneFileTests", dependencies: ["ZoneFile", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "PluginsTests", dependencies: ["Plugins", "DNSWire", "ClusterRegistry", "Corefile"], swiftSettings: swiftSettings),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "DNSWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["DNSWire"],
            swiftSettings: swiftSettings
        ),
    ]
)
