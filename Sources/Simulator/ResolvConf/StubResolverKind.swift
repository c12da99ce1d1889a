/// Which C library's stub resolver a simulation reproduces.
///
/// The two differ in ways that decide whether a name resolves at all (see
/// `Docs/simulate.md`, and the cross-checks against the real libraries in
/// `Tests/IntegrationTests/SimulateVersus*Tests.swift`): glibc walks the whole
/// search list through NODATA and SERVFAIL answers, musl stops at the first answer that is not
/// NXDOMAIN and never searches a name with `ndots` dots or more.
package enum StubResolverKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// glibc 2.36 (Debian 12, Ubuntu, RHEL, distroless/base): `getaddrinfo` through nss_dns,
    /// `res_search` for other types.
    case glibc
    /// musl 1.2.3 (Alpine 3.16–3.17 images): `__lookup_name` and `__res_msend_rc`.
    case musl

    package var description: String { rawValue }

    /// The version whose source code the simulation follows.
    package var modelledVersion: String {
        switch self {
        case .glibc: "glibc 2.36"
        case .musl: "musl 1.2.3"
        }
    }
}
