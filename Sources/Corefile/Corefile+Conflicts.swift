/// Rejecting two server blocks (or two keys of one block) that would serve the same zone on the
/// same port, as CoreDNS does at startup (`validateZonesAndListeningAddresses` in
/// core/dnsserver/register.go).
extension Corefile {
    /// Checks every key of every block against the ones before it.
    ///
    /// Rules, from CoreDNS's `zoneOverlap`:
    /// - the same zone, port and bind address twice is "already defined";
    /// - a block listening on all addresses and another bound to one address, same zone and port,
    ///   "overlap";
    /// - a filtered block (`view`) may share a zone and port with an unfiltered one; it is checked
    ///   for overlap only and not registered.
    ///
    /// - Parameter scope: for each block, its bind addresses and whether it is filtered.
    /// - Throws: `CorefileError` of kind `.conflict` at the later key, naming the earlier one.
    public func checkServeConflicts(scope: (ServerBlock) -> ListenScope) throws(CorefileError) {
        struct Address: Hashable {
            let zone: String
            let port: Int
            let bind: String
            var unbound: Address { Address(zone: zone, port: port, bind: "") }
            var shown: String {
                "dns://\(zone):\(port)" + (bind.isEmpty ? "" : " on \(bind)")
            }
        }
        var registered: [Address: SourceLocation] = [:]
        var firstByUnbound: [Address: (Address, SourceLocation)] = [:]

        for block in serverBlocks {
            let listen = scope(block)
            let binds = listen.addresses.isEmpty ? [""] : listen.addresses
            for key in block.keys {
                for bind in binds {
                    let address = Address(zone: key.zone, port: key.port, bind: bind)
                    if let first = registered[address] {
                        // A filtered block may share exactly what an unfiltered one serves.
                        if listen.isFiltered { continue }
                        throw CorefileError(
                            .conflict, at: key.location,
                            "cannot serve \(address.shown) — it is already defined at \(first)")
                    }
                    if let (other, otherLocation) = firstByUnbound[address.unbound] {
                        if bind.isEmpty {
                            throw CorefileError(
                                .conflict, at: key.location,
                                "cannot serve \(address.shown) — it overlaps \(other.shown) defined at \(otherLocation)")
                        }
                        if let unboundLocation = registered[address.unbound] {
                            throw CorefileError(
                                .conflict, at: key.location,
                                "cannot serve \(address.shown) — it overlaps \(address.unbound.shown) defined at \(unboundLocation)")
                        }
                    }
                    if !listen.isFiltered {
                        registered[address] = key.location
                        firstByUnbound[address.unbound] = (address, key.location)
                    }
                }
            }
        }
    }
}
