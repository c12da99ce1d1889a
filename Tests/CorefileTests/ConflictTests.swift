import Testing
@testable import Corefile

/// Which blocks may serve the same zone and port (CoreDNS's zoneOverlap rules).
@Suite struct ConflictTests {
    func check(_ text: String, scope: [ListenScope]) -> String? {
        do {
            let corefile = try Fixture.parse(text, checksConflicts: false)
            var iterator = scope.makeIterator()
            try corefile.checkServeConflicts { _ in iterator.next() ?? ListenScope() }
            return nil
        } catch {
            return error.description
        }
    }

    static let twoRoots = ".:53 {\n  log\n}\n.:53 {\n  errors\n}\n"

    @Test("different zones, or different ports, never conflict")
    func noConflict() throws {
        _ = try Fixture.parse("a.org {\n}\nb.org {\n}\na.org:1053 {\n}\n")
        _ = try Fixture.parse(ReferenceCorefileTests.nodeLocalDNSCache)
    }

    @Test("the same zone bound to different addresses is allowed")
    func differentBinds() {
        #expect(check(Self.twoRoots, scope: [ListenScope(addresses: ["127.0.0.1"]), ListenScope(addresses: ["127.0.0.2"])]) == nil)
    }

    @Test("the same zone and bind address twice is already defined")
    func sameBind() {
        #expect(check(Self.twoRoots, scope: [ListenScope(addresses: ["127.0.0.1"]), ListenScope(addresses: ["127.0.0.1"])])
            == "Corefile:4: cannot serve dns://.:53 on 127.0.0.1 — it is already defined at Corefile:1")
    }

    @Test("a block on all addresses overlaps one bound to an address, either order")
    func unboundOverlap() {
        #expect(check(Self.twoRoots, scope: [ListenScope(addresses: ["127.0.0.1"]), ListenScope()])
            == "Corefile:4: cannot serve dns://.:53 — it overlaps dns://.:53 on 127.0.0.1 defined at Corefile:1")
        #expect(check(Self.twoRoots, scope: [ListenScope(), ListenScope(addresses: ["127.0.0.1"])])
            == "Corefile:4: cannot serve dns://.:53 on 127.0.0.1 — it overlaps dns://.:53 defined at Corefile:1")
    }

    @Test("a filtered (view) block may share an unfiltered block's zone and port")
    func filtered() {
        #expect(check(Self.twoRoots, scope: [ListenScope(), ListenScope(isFiltered: true)]) == nil)
        #expect(check(Self.twoRoots, scope: [ListenScope(isFiltered: true), ListenScope(isFiltered: true)]) == nil)
    }

    @Test("turning the check off in the options accepts duplicates")
    func optionOff() throws {
        let parsed = try Fixture.parse(Self.twoRoots, checksConflicts: false)
        #expect(parsed.serverBlocks.count == 2)
    }
}
