import ClusterDNSCSystem

/// A failed system call: the errno value and the call's name, plus — on startup paths only — what it was
/// applied to and a hint for the person reading it.
///
/// Why a struct with a `StaticString` call name: the data path throws these under load (a send that finds no
/// buffer space), so building one must not allocate. `subject` and `hint` stay `nil` there; they are filled
/// on startup paths (binding a listener) where a person reads the message:
/// `bind(0.0.0.0:53/udp): Permission denied (EACCES) — run as root or grant CAP_NET_BIND_SERVICE`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno value the call failed with.
    public var errno: Int32
    /// The C function that failed, e.g. `"bind"`.
    public var call: StaticString
    /// What the call was applied to, e.g. `"0.0.0.0:53/udp"`; `nil` on the data path.
    public var subject: String?
    /// Advice for a person, e.g. `"run as root or grant CAP_NET_BIND_SERVICE"`; `nil` when there is none.
    public var hint: String?

    /// An error without subject or hint. Allocation-free.
    public init(errno: Int32, call: StaticString) {
        self.errno = errno
        self.call = call
        self.subject = nil
        self.hint = nil
    }

    /// The same error naming what the call was applied to and, optionally, what a person can do about it.
    public func with(subject: String, hint: String? = nil) -> SystemError {
        var copy = self
        copy.subject = subject
        if let hint { copy.hint = hint }
        return copy
    }

    /// The symbolic errno name, e.g. `"EACCES"`, or `"errno 1234"` for a value this table does not know.
    public var errnoName: String { Errno.name(of: errno) }

    /// The C library's message for the errno, e.g. `"Permission denied"`.
    public var message: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            String(cString: CSystem_strerror(errno, buffer.baseAddress, buffer.count))
        }
    }

    /// `call(subject): message (NAME) — hint`, the subject and hint only when present.
    public var description: String {
        var text = "\(call)"
        if let subject { text += "(\(subject))" }
        text += ": \(message) (\(errnoName))"
        if let hint { text += " — \(hint)" }
        return text
    }

    public static func == (lhs: SystemError, rhs: SystemError) -> Bool {
        lhs.errno == rhs.errno && lhs.call.description == rhs.call.description
            && lhs.subject == rhs.subject && lhs.hint == rhs.hint
    }
}

extension SystemError {
    /// The hint a person needs after a failed `bind` of a listener, or `nil` when the errno says it all.
    ///
    /// Only startup code calls this; it knows the port, so it can tell a privileged-port refusal from others.
    public static func bindHint(errno: Int32, port: UInt16) -> String? {
        switch errno {
        case EACCES where port < 1024:
            return "run as root or grant CAP_NET_BIND_SERVICE"
        case EADDRINUSE:
            return "another process listens on port \(port) without SO_REUSEPORT (find it with `ss -lnptu 'sport = :\(port)'`)"
        case EADDRNOTAVAIL:
            return "the address is not assigned to any interface of this host"
        default:
            return nil
        }
    }
}
