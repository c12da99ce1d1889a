import Corefile
import DNSWire

/// Which names a plugin passes to the next one when it has nothing for them, instead of
/// answering NXDOMAIN: CoreDNS's `fallthrough [ZONES...]` (`plugin/pkg/fall`).
///
/// Not configured: never. `fallthrough` alone: every name. `fallthrough in-addr.arpa ip6.arpa`:
/// names at or below those zones only.
public struct Fallthrough: Sendable {
    let zones: ZoneList

    /// Never falls through (the property was not given).
    public static let never = Fallthrough(zones: [])
    /// Falls through for every name (`fallthrough` without zones).
    public static let always = Fallthrough(zones: [.root])

    public init(zones: [DomainName]) {
        self.zones = ZoneList(zones)
    }

    /// Reads a `fallthrough [ZONES...]` property.
    /// - Throws: `CorefileError` for an argument that is not a zone.
    public static func parse(_ property: Directive) throws(CorefileError) -> Fallthrough {
        if property.arguments.isEmpty { return .always }
        var names: [DomainName] = []
        for text in try property.zones(from: property.arguments, orServerBlock: []) {
            do {
                names.append(try DomainName(text))
            } catch {
                throw property.error("'\(text)' is not a zone: \(error)")
            }
        }
        return Fallthrough(zones: names)
    }

    /// True when a query for `name` (wire form, any case) should go to the next plugin.
    /// - Complexity: O(zones × name length). Allocation-free.
    public func covers(_ name: UnsafeRawBufferPointer) -> Bool { zones.contains(name) }

    /// True when this falls through for no name at all.
    public var isNever: Bool { zones.isEmpty }
}
