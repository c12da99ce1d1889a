import DNSWire
import Testing
@testable import Plugins

/// Each DNS value printed as CoreDNS (miekg/dns, Go's net and strconv) prints it.
@Suite struct LogLineTests {
    func written(_ body: (inout LogLine) -> Void) -> String {
        let ring = LogRing(capacity: 4096)
        var line = ring.beginLine()
        body(&line)
        ring.commit(&line)
        return String(ring.drainText().dropLast())
    }

    @Test("names are lowercased, with miekg's escapes and a trailing dot", arguments: [
        ("Www.Example.ORG.", "www.example.org."),
        (".", "."),
        ("a\\.b.example.", "a\\.b.example."),
        ("a\\032b.example.", "a\\ b.example."),
        ("x\\@\\;\\(\\)\\\"\\\\\\'.example.", "x\\@\\;\\(\\)\\\"\\\\\\'.example."),
        ("\\000\\127\\200.example.", "\\000\\127\\200.example."),
        ("$dollar.example.", "$dollar.example."),
    ])
    func names(input: String, expected: String) throws {
        let name = try DomainName(input)
        #expect(written { line in name.wire.withUnsafeBytes { line.appendName($0) } } == expected)
    }

    @Test("addresses: IPv4 plain, IPv6 in brackets and RFC 5952 form, IPv4-mapped as IPv4", arguments: [
        (IPAddress.v4(IPv4Address(10, 0, 0, 1)), "10.0.0.1"),
        (IPAddress.v6(IPv6Address("::1")!), "[::1]"),
        (IPAddress.v6(IPv6Address("2001:db8:0:0:1:0:0:1")!), "[2001:db8::1:0:0:1]"),
        (IPAddress.v6(IPv6Address("2001:db8:0:1:1:1:1:1")!), "[2001:db8:0:1:1:1:1:1]"),
        (IPAddress.v6(IPv6Address("fe80::abcd:ef")!), "[fe80::abcd:ef]"),
        (IPAddress.v6(IPv6Address("::ffff:192.0.2.7")!), "192.0.2.7"),
        (IPAddress.v6(IPv6Address("::")!), "[::]"),
    ])
    func addresses(address: IPAddress, expected: String) {
        #expect(written { $0.appendBracketed(address) } == expected)
    }

    @Test("durations print as Go's FormatFloat(seconds, 'f', -1) plus s", arguments: [
        (UInt64(0), "0s"), (85_000, "0.000085s"), (123_456_789, "0.123456789s"), (1_000_000_000, "1s"),
        (1_500_000_000, "1.5s"), (12_000_000_001, "12.000000001s"), (100, "0.0000001s"),
    ])
    func durations(nanoseconds: UInt64, expected: String) {
        #expect(written { $0.appendSeconds(nanoseconds: nanoseconds) } == expected)
    }

    @Test("types, classes and rcodes use miekg's names, else the generic form")
    func mnemonics() {
        #expect(written { $0.appendType(.aaaa) } == "AAAA")
        #expect(written { $0.appendType(.https) } == "HTTPS")
        #expect(written { $0.appendType(RecordType(rawValue: 59)) } == "CDS")
        #expect(written { $0.appendType(RecordType(rawValue: 65280)) } == "TYPE65280")
        #expect(written { $0.appendType(RecordType(rawValue: 32769)) } == "DLV")
        #expect(written { $0.appendClass(.in) } == "IN")
        #expect(written { $0.appendClass(RecordClass(rawValue: 3)) } == "CH")
        #expect(written { $0.appendClass(RecordClass(rawValue: 42)) } == "CLASS42")
        #expect(written { $0.appendRcode(3) } == "NXDOMAIN")
        #expect(written { $0.appendRcode(16) } == "BADSIG")
        #expect(written { $0.appendRcode(12) } == "12")
    }

    @Test("flags list the set bits in CoreDNS's order, nothing when none is set")
    func flags() {
        #expect(written { $0.appendFlags(0x85, 0x80) } == "qr,aa,rd,ra")
        #expect(written { $0.appendFlags(0x83, 0x30) } == "qr,tc,rd,ad,cd")
        #expect(written { $0.appendFlags(0x00, 0x40) } == "z")
        #expect(written { $0.appendFlags(0, 0) } == "")
    }

    @Test("decimal numbers of every width")
    func decimals() {
        #expect(written { $0.appendDecimal(UInt64(0)) } == "0")
        #expect(written { $0.appendDecimal(UInt64.max) } == "18446744073709551615")
        #expect(written { $0.appendDecimal(-42) } == "-42")
    }
}
