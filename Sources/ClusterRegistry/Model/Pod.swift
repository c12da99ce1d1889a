/// A v1 Pod, stripped to what pod records (`pods verified`) and `explain` need.
public struct Pod: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// `status.podIPs`, falling back to `status.podIP`; empty before the pod is scheduled.
    public var ips: DualStackAddresses
    public var hostname: String?
    public var subdomain: String?
    public var phase: PodPhase
    /// True once `metadata.deletionTimestamp` is set (the pod is terminating).
    public var isTerminating: Bool
    /// The `Ready` condition; nil when the manifest has no such condition.
    public var isReady: Bool?
    public var nodeName: String?
    public var labels: Labels

    public init(
        namespace: String, name: String, ips: DualStackAddresses = .none, hostname: String? = nil,
        subdomain: String? = nil, phase: PodPhase = .pending, isTerminating: Bool = false,
        isReady: Bool? = nil, nodeName: String? = nil, labels: Labels = .empty
    ) {
        self.namespace = namespace
        self.name = name
        self.ips = ips
        self.hostname = hostname
        self.subdomain = subdomain
        self.phase = phase
        self.isTerminating = isTerminating
        self.isReady = isReady
        self.nodeName = nodeName
        self.labels = labels
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .pod, namespace: namespace, name: name) }

    /// Whether `pods verified` may answer for this pod: CoreDNS's pod informer drops pods in
    /// phase Succeeded, Failed or Unknown.
    public var isServable: Bool { phase == .pending || phase == .running }
}

/// `status.phase`.
public enum PodPhase: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case unknown = "Unknown"

    public var description: String { rawValue }
}
