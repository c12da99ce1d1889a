/// A legacy v1 Endpoints object, used only for a service that has no EndpointSlice.
///
/// Each subset becomes an `EndpointGroup`: `addresses` get `ready: true`, `notReadyAddresses`
/// `ready: false`, so the snapshot treats both kinds alike. Its labels are not kept, as an
/// EndpointSlice's are not.
public struct Endpoints: Sendable, Hashable {
    public var namespace: String
    /// Equal to the name of the service it belongs to.
    public var name: String
    public var subsets: [EndpointGroup]

    public init(namespace: String, name: String, subsets: [EndpointGroup]) {
        self.namespace = namespace
        self.name = name
        self.subsets = subsets
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .endpoints, namespace: namespace, name: name) }
}
