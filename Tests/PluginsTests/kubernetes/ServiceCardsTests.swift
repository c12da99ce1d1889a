import ClusterRegistry
import DNSWire
import Testing
@testable import Plugins

/// The services' cache-line cards: their layout, and lookups of keys that fit in a card and of
/// keys that do not (compared in the arena instead).
@Suite struct ServiceCardsTests {
    @Test("a card is one 64-octet line with the key first, and the cards start on a line")
    func layout() throws {
        #expect(MemoryLayout<ServiceCard>.size == 64)
        #expect(MemoryLayout<ServiceCard>.stride == 64)
        #expect(MemoryLayout<ServiceCard>.offset(of: \.key) == 0)
        let index = try KubernetesIndexTests.index(KubernetesIndexTests.service("web", ip: "10.96.0.10"))
        #expect(index.cards.count == index.serviceEntries.count)
        #expect(index.cards.isLineAligned)
    }

    @Test("a service entry is 16 octets and an endpoint entry 32, in tables that start on a line")
    func entryLayout() throws {
        #expect(MemoryLayout<KubernetesIndex.ServiceEntry>.stride == 16)
        #expect(MemoryLayout<KubernetesIndex.EndpointEntry>.size == 32)
        #expect(MemoryLayout<KubernetesIndex.EndpointEntry>.stride == 32)
        #expect(MemoryLayout<KubernetesIndex.PortEntry>.stride == 16)
        let yaml = KubernetesIndexTests.service("h", ip: "None")
            + KubernetesIndexTests.slice("h-1", service: "h", endpoints: ["{addresses: [10.0.0.1]}"])
        let index = try KubernetesIndexTests.index(yaml)
        #expect(index.serviceEntries.isLineAligned && index.endpoints.isLineAligned && index.ports.isLineAligned)
    }

    @Test("port names of up to 11 octets are held in the entry, longer ones in the arena; both match in any case")
    func portNames() throws {
        let short = "abcdefghijk"      // 11 octets: inline
        let long = "lmnopqrstuvw"      // 12 octets: in the arena
        let yaml = KubernetesIndexTests.service("web", ip: "10.96.0.10",
                                                ports: "[{name: \(short), port: 80}, {name: \(long), port: 81}]")
        let index = try KubernetesIndexTests.index(yaml)
        let s = try #require(KubernetesIndexTests.lookup(index, service: "web"))
        let ports = index.serviceEntries[Int(s)].ports.map { index.ports[Int($0)] }
        #expect(ports.map { $0.withName(in: index) { String(decoding: $0, as: UTF8.self) } } == [short, long])
        #expect(!index.arena.withUnsafeBytes { $0.firstRange(of: Array(short.utf8)) != nil }, "an inline name is not in the arena")
        for (port, name) in zip(ports, [short, long]) {
            for text in [name, name.uppercased()] {
                let matched = Array(text.utf8).withUnsafeBytes { port.matches(PortFilter($0), .any, in: index) }
                #expect(matched, "\(text)")
            }
            let other = Array((name.dropLast() + "z").utf8).withUnsafeBytes { port.matches(PortFilter($0), .any, in: index) }
            #expect(!other)
        }
    }

    @Test("IPv6 cluster IPs and endpoint addresses out of line read back as they were; an IPv4 service has no extra")
    func outOfLine() throws {
        let yaml = KubernetesIndexTests.service("v4", ip: "10.96.0.10")
            + KubernetesIndexTests.service("dual", ip: "10.96.0.11", extra: "  clusterIPs: [10.96.0.11, \"fd00::b\"]")
            + KubernetesIndexTests.service("h", ip: "None")
            + KubernetesIndexTests.slice("h-1", service: "h", endpoints: ["{addresses: [10.0.0.1]}"])
            + KubernetesIndexTests.slice("h-2", service: "h", type: "IPv6", endpoints: ["{addresses: [\"fd00::1\"]}", "{addresses: [\"fd00::2\"]}"])
        let index = try KubernetesIndexTests.index(yaml)
        let v4 = try #require(KubernetesIndexTests.lookup(index, service: "v4"))
        let dual = try #require(KubernetesIndexTests.lookup(index, service: "dual"))
        let h = try #require(KubernetesIndexTests.lookup(index, service: "h"))
        #expect(index.cards[v4].extra == -1 && index.clusterIPv6(v4) == nil)
        #expect(index.clusterIPv4(dual) == IPv4Address(10, 96, 0, 11))
        #expect(index.clusterIPv6(dual)?.description == "fd00::b")
        let addresses = index.serviceEntries[Int(h)].endpoints.map { index.address(of: index.endpoints[Int($0)]).description }
        #expect(addresses == ["10.0.0.1", "fd00::1", "fd00::2"])
        let endpoints = index.serviceEntries[Int(h)].endpoints.map { index.endpoints[Int($0)] }
        #expect(endpoints.map(\.isIPv6) == [false, true, true])
        #expect(!index.sameAddress(endpoints[1], endpoints[2]) && index.sameAddress(endpoints[1], endpoints[1]))
    }

    @Test("keys of 47, 48 and 49 octets and longer: found in any case, not found one octet short or with another namespace",
          arguments: [45, 46, 47, 60, 63])
    func keyLengths(serviceLength: Int) throws {
        // key = [len]svc[len]ns with ns "prod": serviceLength + 6 octets (51…69: inline and arena).
        let name = String(repeating: "a", count: serviceLength - 1) + "z"
        let yaml = KubernetesIndexTests.service(name, ip: "10.96.0.10") + KubernetesIndexTests.service("b" + name.dropFirst(), ip: "10.96.0.11")
        let index = try KubernetesIndexTests.index(yaml)
        let s = try #require(KubernetesIndexTests.lookup(index, service: name))
        #expect(index.cards[s].clusterIPv4 == IPv4Address(10, 96, 0, 10).rawValue)
        #expect(KubernetesIndexTests.lookup(index, service: name.uppercased()) == s)
        let other = try #require(KubernetesIndexTests.lookup(index, service: "b" + name.dropFirst()))
        #expect(other != s)
        #expect(KubernetesIndexTests.lookup(index, service: String(name.dropLast())) == nil)
        #expect(KubernetesIndexTests.lookup(index, service: name, ns: "prox") == nil)
    }

    @Test("keys up to 48 octets are in the card, longer ones only in the arena; flags follow the entry")
    func contents() throws {
        let short = String(repeating: "s", count: 42)   // 1 + 42 + 1 + 4 = 48 octets
        let long = String(repeating: "l", count: 43)    // 49 octets
        let yaml = KubernetesIndexTests.service(short, ip: "10.96.0.10")
            + KubernetesIndexTests.service(long, ip: "None", extra: "  ipFamilies: [IPv4]")
        let index = try KubernetesIndexTests.index(yaml)
        let s = try #require(KubernetesIndexTests.lookup(index, service: short))
        let l = try #require(KubernetesIndexTests.lookup(index, service: long))
        let shortCard = index.cards[s]
        let longCard = index.cards[l]
        #expect(shortCard.keyLength == 48 && longCard.keyLength == 49)
        let inline = withUnsafeBytes(of: shortCard.key) { Array($0) }
        #expect(inline == [42] + Array(short.utf8) + [4] + Array("prod".utf8))
        #expect(withUnsafeBytes(of: longCard.key) { $0.allSatisfy { $0 == 0 } })
        #expect(shortCard.kind == .clusterIP && shortCard.flags.contains(.clusterIPv4) && !shortCard.flags.contains(.clusterIPv6))
        #expect(longCard.kind == .headless && !longCard.flags.contains(.clusterIPv4))
        // Target names take the key from the card when it is there, else from the arena: the same octets.
        #expect(index.cards.inlineKey(s).map { Array($0) } == Array(index.arena[index.keyRange(s)]))
        #expect(index.cards.inlineKey(l) == nil)
        #expect(index.arena.withUnsafeBytes { Array(index.key(l, arena: $0)) } == [43] + Array(long.utf8) + [4] + Array("prod".utf8))
    }
}
