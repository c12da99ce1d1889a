import ClusterRegistry
import Corefile
import DNSWire
import Testing
@testable import Plugins

/// The kubernetes plugin behind the kubeadm `cache` block, which stores nothing for cluster.local
/// but still rewrites every TTL of a passing answer to the duration it would be cached for. The
/// plugin tells the cache when every TTL of its answer is the configured one
/// (`Request.uniformTTL`), and the cache then skips reading the answer when that rewrite would
/// change nothing. These tests pin the TTLs on the wire for configured TTLs inside the cache's
/// bounds (the shortcut applies), below its minimum, above its maximum, and above the SOA's
/// 300 s cap (it must not apply): the answer must be what the full scan makes of it.
@Suite struct CacheUniformTTLTests {
    static let cluster = KubernetesIndexTests.service("web", ip: "10.96.0.1")
        + KubernetesIndexTests.service("db", ip: "None", ports: "[{name: pg, port: 5432}]")
        + """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: db-1, namespace: prod, labels: {kubernetes.io/service-name: db}}
        addressType: IPv4
        endpoints: [{addresses: [10.244.0.5]}, {addresses: [10.244.0.6]}]
        ports: [{name: pg, port: 5432}]
        ---

        """

    /// A chain of `cache` (with `cacheOptions`) in front of `kubernetes` (with `ttl`, unless nil).
    static func chain(ttl: Int?, cache: String) throws -> ChainHarness {
        let text = """
            .:53 {
             \(cache)
             kubernetes cluster.local in-addr.arpa ip6.arpa {
              manifests /unused
              \(ttl.map { "ttl \($0)" } ?? "")
             }
            }

            """
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
        let plugin = try #require(configuration.blocks.first?.factories.compactMap { $0 as? KubernetesPlugin }.first)
        let snapshot = KubernetesIndexTests.snapshot([("t.yaml", cluster)])
        let local: [IPAddress] = [.v4(IPv4Address(127, 0, 0, 1))]
        let builder = KubernetesIndexSet.Builder(config: plugin.config, localAddresses: local)
        plugin.indexes.publish(builder.build(ClusterState.build(from: snapshot), loaded: true, localAddresses: local))
        return ChainHarness(configuration: configuration)
    }

    static let kubeadm = "cache 30 {\n  disable success cluster.local\n  disable denial cluster.local\n }"

    func ttls(_ chain: ChainHarness, _ name: String, _ type: RecordType) throws -> [UInt32] {
        let reply = try chain.query(name, type)
        return (reply.answers + reply.authorities + reply.additionals).map(\.ttl)
    }

    @Test("kubeadm block: configured TTLs inside the cache's bounds pass unchanged, others are clamped as CoreDNS clamps them",
          arguments: [
              // (kubernetes ttl, TTL every record must carry)
              (30, UInt32(30)), (5, 5), (nil, 5), (12, 12),
              (3, 5),          // below the cache's 5 s minimum: raised
              (120, 30),       // above its 30 s maximum: capped
              (600, 30),       // above the SOA's 300 s cap: the SOA's TTL (300) differs, capped all the same
          ] as [(Int?, UInt32)])
    func kubeadmTTLs(ttl: Int?, expected: UInt32) throws {
        let chain = try Self.chain(ttl: ttl, cache: Self.kubeadm)
        let a = try ttls(chain, "web.prod.svc.cluster.local.", .a)
        #expect(a == [expected])
        let nx = try chain.query("nope.prod.svc.cluster.local.", .a)
        #expect(nx.rcode == .nameError)
        #expect(nx.authorities.map(\.ttl) == [expected])
        #expect(try ttls(chain, "web.prod.svc.cluster.local.", .aaaa) == [expected])   // NODATA: the SOA
        #expect(try ttls(chain, "db.prod.svc.cluster.local.", .a) == [expected, expected])
        #expect(try ttls(chain, "_pg._tcp.db.prod.svc.cluster.local.", .srv) == [expected, expected, expected, expected])
        // Asked twice: still not stored, still shaped the same.
        #expect(try ttls(chain, "web.prod.svc.cluster.local.", .a) == [expected])
    }

    @Test("a smaller cache maximum caps a configured TTL that would otherwise pass")
    func smallerMaximum() throws {
        let chain = try Self.chain(ttl: 30, cache: "cache 10 {\n  disable success cluster.local\n  disable denial cluster.local\n }")
        #expect(try ttls(chain, "web.prod.svc.cluster.local.", .a) == [10])
        #expect(try chain.query("nope.prod.svc.cluster.local.", .a).authorities.map(\.ttl) == [10])
    }

    @Test("ResponseBuilder reports one TTL only when every record (and an SOA's MINIMUM) carries it")
    func builderUniformTTL() throws {
        let query = try #require(Message.query(id: 7, name: try DomainName("a.example."), type: .a, edns: EDNS()).encoded())
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1232, alignment: 8)
        defer { buffer.deallocate() }
        let compression = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 64)
        defer { compression.deallocate() }
        try query.withUnsafeBytes { packet in
            let parsed = try QueryParser.parse(packet)
            var builder = ResponseBuilder(buffer: buffer, limit: 1232, compression: compression)
            var begun = builder.begin(query: parsed, packet: packet, payloadSize: 1232)
            #expect(begun)
            #expect(builder.uniformTTL == nil)
            builder.append(owner: .question, type: .a, ttl: 30, rdata: .a(IPv4Address(10, 0, 0, 1)))
            builder.append(owner: .question, type: .a, ttl: 30, rdata: .a(IPv4Address(10, 0, 0, 2)))
            #expect(builder.uniformTTL == 30)
            builder.append(owner: .question, type: .a, ttl: 29, rdata: .a(IPv4Address(10, 0, 0, 3)))
            #expect(builder.uniformTTL == nil)
            builder.append(owner: .question, type: .a, ttl: 30, rdata: .a(IPv4Address(10, 0, 0, 4)))
            #expect(builder.uniformTTL == nil, "once two TTLs differed, it stays unknown")

            begun = builder.begin(query: parsed, packet: packet, payloadSize: 1232)
            #expect(begun)
            #expect(builder.uniformTTL == nil && !builder.authorityHasNS, "begin starts afresh")
            builder.startSection(.authority)
            let soa = SOAData(primaryNameServer: try DomainName("ns.example."), responsibleMailbox: try DomainName("h.example."),
                          serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 60)
            builder.append(owner: .question, type: .soa, ttl: 30, rdata: .soa(soa))
            #expect(builder.uniformTTL == nil, "an SOA whose MINIMUM differs from its TTL")
            begun = builder.begin(query: parsed, packet: packet, payloadSize: 1232)
            #expect(begun)
            builder.startSection(.authority)
            builder.append(owner: .question, type: .ns, ttl: 30, rdata: .ns(try DomainName("ns.example.")))
            #expect(builder.uniformTTL == 30)
            #expect(builder.authorityHasNS)
        }
    }
}
