import DNSWire

/// One line of a CoreDNS `log` plugin query log, in its default format:
///
///     {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}
///
/// for example
///
///     [INFO] 10.244.1.7:51234 - 4242 "A IN api.example.com.production.svc.cluster.local. udp 74 false 1232" NXDOMAIN qr,aa,rd 167 0.000123s
package struct QueryLogEntry: Sendable, Equatable {
    package var client: IPAddress
    package var port: UInt16
    package var id: UInt16
    package var type: RecordType
    package var name: DomainName
    /// `udp` or `tcp`.
    package var transport: String
    package var rcode: ResponseCode
    /// The server's processing time, when the line carries one.
    package var duration: Duration?
    /// The line number in the log file.
    package var line: Int

    package init(client: IPAddress, port: UInt16, id: UInt16, type: RecordType, name: DomainName, transport: String,
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
