/// A legacy v1 Endpoints object, used only for a service that has no EndpointSlice.
///
/// Each subset becomes an `EndpointGroup`: `addresses` get `ready: true`, `notReadyAddresses`
/// `ready: false`, so the snapshot treats both kinds alike.
public struct Endpoints: Sendable, Hashable {
    public var namespace: String
    /// Equal to the name of the service it belongs to.
    public var name: String
    public var subsets: [EndpointGroup]
    public var labels: Labels

    public init(namespace: String, name: String, subsets: [EndpointGroup], labels: Labels = .empty) {
        self.namespace = namespace
        self.name = name
        self.subsets = subsets
        self.labels = labels
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .endpoints, namespace: namespace, name: name) }
}
