import DNSWire

/// One line of a CoreDNS `log` plugin query log, in its default format:
///
///     {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}
///
/// for example
///
///     [INFO] 10.244.1.7:51234 - 4242 "A IN api.example.com.production.svc.cluster.local. udp 74 false 1232" NXDOMAIN qr,aa,rd 167 0.000123s
public struct QueryLogEntry: Sendable, Equatable {
    public var client: IPAddress
    public var port: UInt16
    public var id: UInt16
    public var type: RecordType
    public var name: DomainName
    /// `udp` or `tcp`.
    public var transport: String
    public var rcode: ResponseCode
    /// The server's processing time, when the line carries one.
    public var duration: Duration?
    /// The line number in the log file.
    public var line: Int

    public init(client: IPAddress, port: UInt16, id: UInt16, type: RecordType, name: DomainName, transport: String,
                rcode: ResponseCode, duration: Duration?, line: Int) {
        self.client = client
        self.port = port
        self.id = id
        self.type = type
        self.name = name
        self.transport = transport
        self.rcode = rcode
        self.duration = duration
        self.line = line
    }
}
