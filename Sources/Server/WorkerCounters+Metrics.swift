import EventLoop
import Plugins

extension WorkerCounters {
    /// The event loop's counters as `prometheus` reports them (`clusterdns_udp_*`, `clusterdns_tcp_*`):
    /// the names are the server's, since only it knows what the loop counts.
    var samples: [CounterSample] {
        let c = self
        let counters: [(String, String, UInt64)] = [
            ("clusterdns_udp_received_total", "Datagrams read from UDP sockets.", c.udpReceived),
            ("clusterdns_udp_sent_total", "Datagrams the kernel accepted for sending.", c.udpSent),
            ("clusterdns_udp_truncated_total", "Datagrams larger than a receive slot, cut short.", c.udpTruncated),
            ("clusterdns_udp_receive_errors_total", "recvmmsg calls that failed with an error other than EAGAIN.", c.udpReceiveErrors),
            ("clusterdns_udp_receive_batches_total", "recvmmsg calls that returned datagrams.", c.udpReceiveBatches),
            ("clusterdns_udp_send_calls_total", "sendmmsg calls made.", c.udpSendCalls),
            ("clusterdns_tcp_accepted_total", "TCP connections accepted.", c.tcpAccepted),
            ("clusterdns_tcp_accept_errors_total", "accept4 failures other than EAGAIN.", c.tcpAcceptErrors),
            ("clusterdns_tcp_closed_total", "TCP connections closed, for any reason.", c.tcpClosed),
            ("clusterdns_tcp_idle_closed_total", "TCP connections closed after the idle timeout.", c.tcpIdleClosed),
            ("clusterdns_tcp_evicted_total", "Idle TCP connections closed to make room at the connection cap.", c.tcpEvicted),
            ("clusterdns_tcp_errors_total", "TCP connections closed on a reset or another socket error.", c.tcpErrors),
            ("clusterdns_tcp_frames_received_total", "DNS messages received over TCP.", c.tcpFramesReceived),
            ("clusterdns_tcp_frames_sent_total", "DNS messages queued for sending over TCP.", c.tcpFramesSent),
            ("clusterdns_tcp_late_replies_dropped_total", "Replies dropped because their TCP connection had closed.", c.tcpLateRepliesDropped),
            ("clusterdns_tcp_read_pauses_total", "Times a TCP connection stopped being read because its client lagged.", c.tcpReadPauses),
        ]
        var samples = counters.map { CounterSample(name: $0.0, help: $0.1, value: $0.2) }
        let drops: [(String, UInt64)] = [
            ("would_block", c.udpDroppedWouldBlock), ("no_buffers", c.udpDroppedNoBuffers),
            ("invalid", c.udpDroppedInvalid), ("other", c.udpDroppedOther), ("async_refused", c.udpAsyncRefused),
        ]
        for (reason, value) in drops {
            samples.append(CounterSample(name: "clusterdns_udp_replies_dropped_total", help: "UDP replies not sent, by reason.",
                                         labels: [("reason", reason)], value: value))
        }
        return samples
    }
}
