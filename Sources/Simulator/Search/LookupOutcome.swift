import DNSWire

/// How a lookup ended.
package enum LookupOutcome: Sendable, Equatable {
    /// The application gets these records, from this candidate name.
    case resolved(name: DomainName, records: [ResourceRecord])
    /// The application gets an error.
    case failed(LookupError)
    /// No query was needed or possible (an IP literal, an empty or over-long name).
    case notQueried(String)
}

/// The error an application sees, named as the C library names it.
package enum LookupError: String, Sendable, Hashable, CustomStringConvertible {
    /// getaddrinfo: "Name or service not known".
    case eaiNoName = "EAI_NONAME"
    /// getaddrinfo (glibc): "No address associated with hostname".
    case eaiNoData = "EAI_NODATA"
    /// getaddrinfo: "Temporary failure in name resolution".
    case eaiAgain = "EAI_AGAIN"
    /// getaddrinfo: "Non-recoverable failure in name resolution".
    case eaiFail = "EAI_FAIL"
    /// res_search h_errno: the name does not exist.
    case hostNotFound = "HOST_NOT_FOUND"
    /// res_search h_errno: the name exists without records of that type.
    case noData = "NO_DATA"
    /// res_search h_errno: no usable answer (timeout, SERVFAIL).
    case tryAgain = "TRY_AGAIN"
    /// res_search h_errno: REFUSED, FORMERR, NOTIMP or a name that cannot be sent.
    case noRecovery = "NO_RECOVERY"

    package var description: String { rawValue }

    /// The text `gai_strerror`/`hstrerror` gives the application.
    package var message: String {
        switch self {
        case .eaiNoName: "Name or service not known"
        case .eaiNoData: "No address associated with hostname"
        case .eaiAgain: "Temporary failure in name resolution"
        case .eaiFail: "Non-recoverable failure in name resolution"
        case .hostNotFound: "Unknown host"
        case .noData: "No address associated with name"
        case .tryAgain: "Host name lookup failure"
        case .noRecovery: "Unknown server error"
        }
    }
}
