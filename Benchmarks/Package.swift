// swift-tools-version: 6.2
//
// Microbenchmarks for ClusterDNS, in their own package (as SwiftNIO keeps its benchmarks) so the
// allocation-counting dependency never slows the main build or CI. Run from the repository root:
//   make bench                                   (cd Benchmarks && swift run -c release ClusterDNSBenchmarks)
//   swift run -c release ClusterDNSBenchmarks --filter parse --check
// See README.md beside this file for adding a benchmark.
import Foundation
import PackageDescription

// A path dependency is named after its directory (`ClusterDNS`, `main`, a worktree's name…), not
// after its manifest, so the root package's identity is read from where this package sits.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "ClusterDNSBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "ClusterDNSBenchmarks",
            dependencies: [
                .product(name: "DNSWire", package: root),
                .product(name: "ClusterRegistry", package: root),
                .product(name: "ClusterRegistryTestSupport", package: root),
                .product(name: "Plugins", package: root),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
        .executableTarget(
            name: "ClusterDNSScaleProfile",
            dependencies: [
                .product(name: "DNSWire", package: root),
                .product(name: "ClusterRegistry", package: root),
                .product(name: "ClusterRegistryTestSupport", package: root),
                .product(name: "Plugins", package: root),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
    ]
)
