import ClusterRegistry
import DNSWire

extension KubernetesHandler {
    /// CNAME to the ExternalName target, chased through the server's own chain — the chain of
    /// the server block that serves the target, so `forward` answers names outside the cluster
    /// and this plugin answers names inside it — then the CNAME first and the target's answer
    /// records after it (CoreDNS's `upstream.Lookup`), with TC when that answer was truncated.
    ///
    /// The CNAME alone is the answer when the target is the name of this query or of a query it
    /// is chasing for (a loop), or when the chase cannot start (chains nest at most
    /// `QueryEngine.maxDepth` deep). Allocates: chasing needs a query of its own.
    func chase(_ request: Request, index: KubernetesIndex, service s: Int32, engine: QueryEngine) -> PluginResult {
        let external = index.externalTarget(s)
        let targetWire = Array(index.arena[Int(external.offset)..<(Int(external.offset) + Int(external.length))])
        // Set before starting: a subrequest answered from memory completes inside the call.
        request.pluginState = .externalName(index, service: s)
        guard !KubernetesHandler.isChasing(targetWire, from: request),
              let target = try? DomainName(wire: targetWire),
              engine.startSubrequest(parent: request, name: target, type: request.questionType, entry: .top) else {
            request.pluginState = .none
            request.response.authoritative = true
            KubernetesAnswer.appendCNAME(index, service: s, &request.response)
            request.finishResponse()
            return .answered
        }
        return .suspended
    }

    /// True when `target` is the question of `request` or of a request it serves.
    static func isChasing(_ target: [UInt8], from request: Request) -> Bool {
        var current: Request? = request
        var steps = 0
        while let r = current, steps <= QueryEngine.maxDepth {
            let same = target.withUnsafeBytes { WireName.equalIgnoringCase($0, r.questionName) }
            if same { return true }
            current = r.parent
            steps += 1
        }
        return false
    }

    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {
        guard case .externalName(let index, let s) = parent.pluginState else {
            parent.respond(rcode: .serverFailure)
            engine.resume(parent, .answered)
            return
        }
        parent.pluginState = .none
        let reply = try? Message(parsing: child.responseBytes)
        guard parent.startResponse() else {
            engine.resume(parent, .answered)
            return
        }
        parent.response.authoritative = true
        KubernetesAnswer.appendCNAME(index, service: s, &parent.response)
        if let reply {
            // The target's records, RRset by RRset, after the CNAME.
            var i = 0
            while i < reply.answers.count {
                parent.response.beginRRset()
                var j = i
                while j < reply.answers.count && reply.answers[j].sameRRset(as: reply.answers[i]) {
                    parent.response.append(reply.answers[j])
                    j += 1
                }
                parent.response.endRRset()
                i = j
            }
            if reply.header.truncated { parent.response.markTruncated() }
        }
        parent.finishResponse()
        engine.resume(parent, .answered)
    }
}
