/// A v1 Namespace: its existence decides NODATA versus NXDOMAIN for `<ns>.svc.<zone>`.
public struct Namespace: Sendable, Hashable {
    public var name: String
    public var labels: Labels

    public init(name: String, labels: Labels = .empty) {
        self.name = name
        self.labels = labels
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .namespace, namespace: "", name: name) }
}
