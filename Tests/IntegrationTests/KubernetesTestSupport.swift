import DNSWire
import Foundation
import Testing

/// The manifests in Tests/Fixtures/kubernetes, handed to `ServerProcess` as files under a
/// directory of the test's temporary directory.
enum KubernetesFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kubernetes")

    /// The test cluster (every fixture but `kube-dns.yaml` and `interwebs.yaml`).
    static let cluster = ["namespaces.yaml", "services.yaml", "headless.yaml", "external.yaml", "pods.yaml", "other.yaml"]

    /// `names` read from the fixtures directory, keyed `<under>/<name>` for `ServerProcess`.
    static func files(_ names: [String] = cluster, under folder: String = "cluster") throws -> [String: String] {
        var files: [String: String] = [:]
        for name in names {
            files["\(folder)/\(name)"] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    /// A Corefile with one block on `{PORT}` for every name: `kubernetes` over `cluster.local` and
    /// both reverse zones with `options` inside, then `whoami`, which answers what falls through.
    static func corefile(zones: String = "cluster.local in-addr.arpa ip6.arpa", _ options: String = "",
                         extra: String = "") -> String {
        """
        .:{PORT} {
            \(extra)
            kubernetes \(zones) {
                manifests {DIR}/cluster
                \(options)
            }
            whoami
        }
        """
    }
}

/// One row of a behaviour table: a question and the expected rcode and records, the records in
/// presentation format (`svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1`), compared as sets.
struct Row: CustomStringConvertible, Sendable {
    var name: String
    var type: RecordType
    var rcode: ResponseCode
    var answer: [String]
    /// Checked when not nil.
    var additional: [String]?
    /// The zone whose SOA a negative answer carries.
    var soaZone: String

    init(_ name: String, _ type: RecordType, _ rcode: ResponseCode = .noError, _ answer: [String] = [],
         additional: [String]? = nil, soaZone: String = "cluster.local.") {
        self.name = name
        self.type = type
        self.rcode = rcode
        self.answer = answer
        self.additional = additional
        self.soaZone = soaZone
    }

    var description: String { "\(name) \(type)" }
}

/// What a negative answer's SOA must look like.
struct ZoneSOA {
    var zone: String
    var ttl: UInt32 = 5

    /// Checks an SOA record: owner `zone` (exact case), `ns.dns.<zone> hostmaster.<zone> <serial>
    /// 7200 1800 86400 <ttl>`, TTL min(ttl, 300). Returns the serial.
    @discardableResult
    func check(_ record: ResourceRecord?, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) -> UInt32? {
        guard let record else {
            Issue.record("\(context): no SOA", sourceLocation: sourceLocation)
            return nil
        }
        #expect(record.name.description == zone, "\(context): SOA owner", sourceLocation: sourceLocation)
        #expect(record.ttl == min(ttl, 300), "\(context): SOA TTL", sourceLocation: sourceLocation)
        guard case .soa(let soa) = record.rdata else {
            Issue.record("\(context): \(record) is no SOA", sourceLocation: sourceLocation)
            return nil
        }
        let suffix = zone == "." ? "" : zone
        #expect(soa.primaryNameServer.description.lowercased() == "ns.dns.\(suffix)".lowercased(), "\(context): MNAME", sourceLocation: sourceLocation)
        #expect(soa.responsibleMailbox.description.lowercased() == "hostmaster.\(suffix)".lowercased(), "\(context): RNAME", sourceLocation: sourceLocation)
        #expect([soa.refresh, soa.retry, soa.expire, soa.minimum] == [7200, 1800, 86_400, ttl], "\(context): SOA timers", sourceLocation: sourceLocation)
        return soa.serial
    }
}

extension DNSTestClient {
    /// Asks `row` (over UDP, or TCP) and checks the reply: rcode, AA, the answer and (when
    /// given) additional records as sets; a negative answer carries the zone's SOA in authority.
    func check(_ row: Row, tcp: Bool = false, ttl: UInt32 = 5, sourceLocation: SourceLocation = #_sourceLocation) {
        let soa = ZoneSOA(zone: row.soaZone, ttl: ttl)
        let reply: Message
        do {
            reply = tcp ? try queryTCP(row.name, row.type) : try query(row.name, row.type)
        } catch {
            Issue.record("\(row): \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(reply.rcode == row.rcode, "\(row): rcode\n\(reply)", sourceLocation: sourceLocation)
        #expect(reply.header.authoritative, "\(row): AA\n\(reply)", sourceLocation: sourceLocation)
        #expect(!reply.header.truncated, "\(row): TC\n\(reply)", sourceLocation: sourceLocation)
        #expect(reply.questions.first?.name.description == row.name, "\(row): question echoed", sourceLocation: sourceLocation)
        let expected = row.answer.map(Self.normalise).sorted()
        let actual = reply.answers.map(\.description).sorted()
        #expect(actual == expected, "\(row): answer\n\(reply)", sourceLocation: sourceLocation)
        if let additional = row.additional {
            #expect(reply.additionals.map(\.description).sorted() == additional.map(Self.normalise).sorted(),
                    "\(row): additional\n\(reply)", sourceLocation: sourceLocation)
        }
        if row.answer.isEmpty {
            #expect(reply.authorities.count == 1, "\(row): one SOA in authority\n\(reply)", sourceLocation: sourceLocation)
            soa.check(reply.authorities.first, row.description, sourceLocation: sourceLocation)
        } else {
            #expect(reply.authorities.isEmpty, "\(row): no authority records\n\(reply)", sourceLocation: sourceLocation)
        }
    }

    /// Checks every row, stopping nothing on a failure so one run reports every wrong row.
    func check(_ rows: [Row], tcp: Bool = false, ttl: UInt32 = 5, sourceLocation: SourceLocation = #_sourceLocation) {
        for row in rows { check(row, tcp: tcp, ttl: ttl, sourceLocation: sourceLocation) }
    }

    /// A record in presentation format as `ResourceRecord.description` prints it.
    static func normalise(_ text: String) -> String {
        do { return try ResourceRecord(presentation: text).description } catch { return "unparseable: \(text) (\(error))" }
    }
}

/// `<name>.testns.svc.cluster.local.`
func svc(_ name: String) -> String { "\(name).testns.svc.cluster.local." }
