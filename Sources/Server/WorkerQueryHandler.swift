import DNSWire
import EventLoop
import Plugins

/// Connects a worker's query engine to its sockets: answers that complete later (from an
/// upstream, a subrequest) come back through `deliver` and leave on the socket or connection
/// their query came from. One per worker; called only on the worker's thread.
final class WorkerResponseSink: ResponseSink {
    unowned let worker: Worker

    init(worker: Worker) { self.worker = worker }

    func deliver(_ response: UnsafeRawBufferPointer, route: Route) {
        guard let token = route.replyToken else { return }
        // A false return was counted by the worker (listener gone, connection closed): nothing to undo.
        if let target = token.udpTarget(route: route) {
            _ = worker.sendDatagram(response, to: target)
        } else if let target = token.tcpTarget(route: route) {
            _ = worker.sendFrame(response, to: target)
        }
    }

    func deliverPart(_ response: UnsafeRawBufferPointer, route: Route) -> Bool {
        guard let target = route.replyToken?.tcpTarget(route: route) else { return false }
        return worker.sendFramePart(response, to: target)
    }
}

/// One listener of one worker: hands every UDP datagram and TCP frame it reads to the worker's
/// query engine, with the route (client, local address, transport) the engine and plugins need.
final class ListenerQueryHandler: DatagramHandler, StreamHandler {
    let engine: QueryEngine
    /// The address this listener is bound to (TCP replies carry no local address of their own).
    let localAddress: IPAddress
    let localPort: UInt16

    init(engine: QueryEngine, localAddress: IPAddress, localPort: UInt16) {
        self.engine = engine
        self.localAddress = localAddress
        self.localPort = localPort
    }

    func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget,
                        response: UnsafeMutableRawBufferPointer) -> Int? {
        // A datagram larger than a receive slot is no query a client sends; answering a cut
        // message would mislead it, so it is dropped (the worker counts it).
        guard !truncated else { return nil }
        let route = Route(transport: .udp, peerAddress: IPAddress(target.peer), peerPort: target.peer.port,
                          localAddress: IPAddress(target.local), localPort: localPort, replyToken: ReplyToken(target))
        switch engine.handle(packet: packet, route: route, output: response) {
        case .reply(let length): return length
        case .later, .drop: return nil
        }
    }

    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget,
                     response: UnsafeMutableRawBufferPointer) -> FrameReply {
        let route = Route(transport: .tcp, peerAddress: IPAddress(target.peer), peerPort: target.peer.port,
                          localAddress: localAddress, localPort: localPort, replyToken: ReplyToken(target))
        switch engine.handle(packet: frame, route: route, output: response) {
        case .reply(let length): return .now(length: length)
        case .later: return .later
        case .drop: return .drop
        }
    }

    var pendingReplies: Int { engine.outstanding }
}
