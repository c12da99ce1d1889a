import DNSWire
import Foundation
import Testing
@testable import Plugins

/// `QueryTarget.parse` (CoreDNS parse.go's grammar read from the wire bytes), pod labels and
/// reverse names: every branch.
@Suite struct QueryTargetTests {
    /// Parses `name` under `zone` and renders the result with the byte ranges as text, so a
    /// case reads like the name it came from.
    static func parse(_ name: String, zone: String = "cluster.local.") throws -> String {
        let wire = try DomainName(name).wire
        let zoneLength = try DomainName(zone).wire.count
        return wire.withUnsafeBytes { bytes in
            let target = QueryTarget.parse(bytes, zoneOffset: bytes.count - zoneLength)
            func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self).map { $0.isASCII && $0.asciiValue! < 32 ? "|" : $0 }.map(String.init).joined() }
            switch target {
            case .apex: return "apex"
            case .dnsVersion: return "dns-version"
            case .nameServer: return "ns.dns"
            case .typeLevel: return "type level"
            case .namespace(let r): return "namespace \(text(r))"
            case .podNamespace(let r): return "pod namespace \(text(r))"
            case .service(let key): return "service \(text(key))"
            case .endpoint(let label, let service): return "endpoint \(text(label)) of \(text(service))"
            case .port(let name, let proto, let service): return "port '\(text(name))' '\(text(proto))' of \(text(service))"
            case .pod(let address, let namespace): return "pod \(text(address)) in \(text(namespace))"
            case .invalid: return "invalid"
            }
        }
    }

    static let cases: [(String, String)] = [
        ("cluster.local.", "apex"),
        ("dns-version.cluster.local.", "dns-version"),
        ("DNS-Version.cluster.local.", "dns-version"),
        ("ns.dns.cluster.local.", "ns.dns"),
        ("dns.cluster.local.", "invalid"),
        ("svc.cluster.local.", "type level"),
        ("pod.cluster.local.", "type level"),
        ("SVC.cluster.local.", "type level"),
        ("prod.svc.cluster.local.", "namespace |prod"),
        ("prod.pod.cluster.local.", "pod namespace |prod"),
        ("web.prod.svc.cluster.local.", "service |web|prod"),
        ("Web.Prod.Svc.cluster.local.", "service |Web|Prod"),
        ("pg-0.web.prod.svc.cluster.local.", "endpoint pg-0 of |web|prod"),
        ("_http._tcp.web.prod.svc.cluster.local.", "port 'http' 'tcp' of |web|prod"),
        ("http.tcp.web.prod.svc.cluster.local.", "port 'http' 'tcp' of |web|prod"),
        ("__http.__tcp.web.prod.svc.cluster.local.", "port '_http' '_tcp' of |web|prod"),
        ("_._tcp.web.prod.svc.cluster.local.", "port '' 'tcp' of |web|prod"),
        ("a.b.c.web.prod.svc.cluster.local.", "invalid"),
        ("a.b.c.d.e.f.g.h.cluster.local.", "invalid"),
        ("10-1-2-3.prod.pod.cluster.local.", "pod 10-1-2-3 in |prod"),
        ("x.10-1-2-3.prod.pod.cluster.local.", "invalid"),
        ("foo.cluster.local.", "invalid"),
        ("web.prod.cluster.local.", "invalid"),
        ("web.prod.svcx.cluster.local.", "invalid"),
        ("*.prod.svc.cluster.local.", "service |*|prod"),
    ]

    @Test("names map to targets as CoreDNS's parse.go reads them")
    func grammar() throws {
        for (name, expected) in Self.cases {
            #expect(try Self.parse(name) == expected, "\(name)")
        }
        // The zone is wherever the plugin's zone is, the root included.
        #expect(try Self.parse("web.prod.svc.", zone: ".") == "service |web|prod")
        #expect(try Self.parse("web.prod.svc.example.org.", zone: "example.org.") == "service |web|prod")
    }

    static func pod(_ label: String) -> String {
        Array(label.utf8).withUnsafeBytes { QueryTarget.podAddress($0).map { "\($0)" } ?? "nil" }
    }

    @Test("pod labels: three dashes and no `--` are IPv4, anything else is IPv6 with `-` for `:`")
    func podLabels() {
        let cases: [(String, String)] = [
            ("10-244-1-10", "10.244.1.10"), ("0-0-0-0", "0.0.0.0"), ("255-255-255-255", "255.255.255.255"),
            ("01-2-3-4", "nil"), ("1-2-3-256", "nil"), ("1-2-3-", "nil"), ("-1-2-3", "nil"), ("a-b-c-d", "nil"),
            ("1-2-3", "nil"), ("1-2-3-4-5", "nil"), ("1234-2-3-4", "nil"),
            ("fd00--5", "fd00::5"), ("FD00--A", "fd00::a"), ("--1", "::1"), ("--", "::"), ("1--", "1::"),
            ("fd00-0-0-0-0-0-0-5", "fd00::5"), ("1-2-3-4-5-6-7-8", "1:2:3:4:5:6:7:8"),
            ("1-2-3-4-5-6-7--", "1:2:3:4:5:6:7:0"), ("1-2-3-4-5-6-7-8-9", "nil"), ("1--2--3", "nil"),
            ("12345--1", "nil"), ("fd00-", "nil"), ("-fd00", "nil"), ("fd00---1", "nil"), ("g--1", "nil"), ("", "nil"),
            ("1-2--3", "1:2::3"), ("2001-db8--0", "2001:db8::"),
            // IPv4-mapped IPv6 counts as IPv4, as Go's To4 makes it.
            ("--ffff-a01-203", "10.1.2.3"),
        ]
        for (label, expected) in cases { #expect(Self.pod(label) == expected, "\(label)") }
    }

    static func reverse(_ name: String) throws -> String {
        try DomainName(name).wire.withUnsafeBytes { QueryTarget.reverseAddress($0).map { "\($0)" } ?? "nil" }
    }

    @Test("reverse names: four decimal labels under in-addr.arpa, 32 nibbles under ip6.arpa, nothing else")
    func reverseNames() throws {
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        let cases: [(String, String)] = [
            ("1.0.96.10.in-addr.arpa.", "10.96.0.1"), ("255.255.255.255.in-addr.arpa.", "255.255.255.255"),
            ("1.0.96.10.IN-ADDR.ARPA.", "10.96.0.1"), ("0.0.0.0.in-addr.arpa.", "0.0.0.0"),
            ("01.0.96.10.in-addr.arpa.", "nil"), ("256.0.96.10.in-addr.arpa.", "nil"), ("0.96.10.in-addr.arpa.", "nil"),
            ("1.1.0.96.10.in-addr.arpa.", "nil"), ("a.0.96.10.in-addr.arpa.", "nil"), ("1000.0.96.10.in-addr.arpa.", "nil"),
            ("1.0.96.10.in-addr.arpa.example.", "nil"), ("in-addr.arpa.", "nil"),
            (v6, "2001:db8::1"), (v6.uppercased(), "2001:db8::1"),
            (String(v6.dropFirst(2)), "nil"), ("0." + v6, "nil"), (v6.replacingOccurrences(of: "8.b.d", with: "8.g.d"), "nil"),
            (v6.replacingOccurrences(of: "ip6.arpa", with: "ip6.int"), "nil"),
            (v6.replacingOccurrences(of: "1.0.0.0.0", with: "10.0.0.0"), "nil"),
            ("1.0.96.10.ip6.arpa.", "nil"),
        ]
        for (name, expected) in cases { #expect(try Self.reverse(name) == expected, "\(name)") }
    }
}
