import ClusterRegistry
import Corefile
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// The `kubernetes` plugin run in-process: an index built from manifest text (or any snapshot)
/// published to a plugin, and its handler in a one-plugin chain on the shared `ChainHarness`,
/// which answers prebuilt query packets into a reusable buffer — what a worker does, without
/// sockets.
final class KubernetesHarness {
    let plugin: KubernetesPlugin
    let chain: ChainHarness
    var engine: QueryEngine { chain.engine }
    var output: UnsafeMutableRawBufferPointer { chain.output }
    let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: 40_000,
                      localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)

    /// - Parameters:
    ///   - options: lines for the `kubernetes` block (`manifests` is added).
    ///   - localAddresses: this "server"'s addresses, for NS records.
    ///   - handler: a handler to run instead of the plugin's (to measure the engine alone).
    init(snapshot: ClusterSnapshot, options: String = "", zones: String = "cluster.local in-addr.arpa ip6.arpa",
         localAddresses: [IPAddress] = [.v4(IPv4Address(127, 0, 0, 1))], handler replacement: (any PluginHandler)? = nil) throws {
        let config = try KubernetesHarness.config(options, zones: zones)
        plugin = KubernetesPlugin(config: config)
        // Sharded as the server shards it, so every answer test also checks the routing of
        // names and PTR addresses to shards.
        let builder = KubernetesIndexSet.Builder(config: config, localAddresses: localAddresses)
        plugin.indexes.publish(builder.build(ClusterState.build(from: snapshot), loaded: true, localAddresses: localAddresses))
        let worker = WorkerContext(index: 0, workerCount: 1)
        let handler = try replacement ?? #require(plugin.makeHandler(worker: worker))
        chain = ChainHarness(handlers: [handler], names: ["kubernetes"], worker: worker)
    }

    static func config(_ options: String, zones: String = "cluster.local in-addr.arpa ip6.arpa") throws -> KubernetesConfig {
        let text = ".:53 {\n kubernetes \(zones) {\n  manifests /unused\n\(options)\n }\n}\n"
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
        return try #require(configuration.blocks.first?.factories.first as? KubernetesPlugin).config
    }

    /// A query packet (with EDNS, 1232 octets).
    static func packet(_ name: String, _ type: RecordType, id: UInt16 = 0x1234) throws -> [UInt8] {
        try #require(Message.query(id: id, name: try DomainName(name), type: type, edns: EDNS()).encoded())
    }

    /// Answers `packet` into `output`; the length of the reply (0 when none).
    /// Allocation-free for answers from memory.
    @inline(__always)
    func answer(_ packet: UnsafeRawBufferPointer) -> Int {
        chain.answer(packet, route: route)
    }

    /// Answers and parses.
    func query(_ name: String, _ type: RecordType) throws -> Message {
        let bytes = try Self.packet(name, type)
        let n = bytes.withUnsafeBytes { answer($0) }
        return try Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<n])))
    }
}
