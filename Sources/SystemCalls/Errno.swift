import ClusterDNSCSystem

/// Symbolic names for errno values, so error text says `EACCES` rather than `13`.
///
/// Only the values a DNS server meets are listed; others print as `errno N`.
public enum Errno {
    /// `"EACCES"` for `EACCES`, `"errno N"` for a value not in the table.
    public static func name(of value: Int32) -> String {
        switch value {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case ELOOP: "ELOOP"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case ENOSPC: "ENOSPC"
        case EPIPE: "EPIPE"
        case ERANGE: "ERANGE"
        case ENOSYS: "ENOSYS"
        case ENOTSOCK: "ENOTSOCK"
        case EDESTADDRREQ: "EDESTADDRREQ"
        case EMSGSIZE: "EMSGSIZE"
        case EPROTOTYPE: "EPROTOTYPE"
        case ENOPROTOOPT: "ENOPROTOOPT"
        case EPROTONOSUPPORT: "EPROTONOSUPPORT"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case EAFNOSUPPORT: "EAFNOSUPPORT"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case ENETDOWN: "ENETDOWN"
        case ENETUNREACH: "ENETUNREACH"
        case ECONNABORTED: "ECONNABORTED"
        case ECONNRESET: "ECONNRESET"
        case ENOBUFS: "ENOBUFS"
        case EISCONN: "EISCONN"
        case ENOTCONN: "ENOTCONN"
        case ETIMEDOUT: "ETIMEDOUT"
        case ECONNREFUSED: "ECONNREFUSED"
        case EHOSTDOWN: "EHOSTDOWN"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case EALREADY: "EALREADY"
        case EINPROGRESS: "EINPROGRESS"
        case EPROTO: "EPROTO"
        default: "errno \(value)"
        }
    }
}
