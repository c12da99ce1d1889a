import DNSWire

/// Decides whether an upstream message is the answer an exchange is waiting for.
///
/// An off-path attacker who wants to poison the answer must guess the source port (the kernel's
/// random ephemeral port of a connected socket, which also discards datagrams from any other
/// address) and the 16-bit ID; on top of that the question must echo ours. Anything that fails
/// is dropped and counted, and the exchange keeps waiting for the real answer until its timeout.
enum ReplyCheck {
    /// The outcome for one message.
    enum Verdict: Equatable {
        case accepted
        case dropped(DroppedResponseReason)
    }

    /// Checks `reply` against the query's ID and question (`name` in wire form, any case; `type`, `class`).
    ///
    /// - Parameter exactCase: the name as sent upstream, when `randomize_case` gave it a case of
    ///   its own: then the reply's name must be these very octets, and one that differs only in
    ///   case is `.wrongCase`.
    /// - Complexity: O(name length). Allocation-free.
    static func check(_ reply: UnsafeRawBufferPointer, id: UInt16, name: UnsafeRawBufferPointer,
                      type: RecordType, recordClass: RecordClass,
                      exactCase: UnsafeRawBufferPointer? = nil) -> Verdict {
        guard reply.count >= Header.size else { return .dropped(.malformed) }
        let replyID = UInt16(reply[0]) << 8 | UInt16(reply[1])
        guard replyID == id else { return .dropped(.wrongID) }
        // QR must be set, and the answer must carry our one question.
        guard reply[2] & 0x80 != 0 else { return .dropped(.malformed) }
        let questions = UInt16(reply[4]) << 8 | UInt16(reply[5])
        guard questions == 1 else { return .dropped(.wrongQuestion) }
        let end = Header.size + name.count
        guard reply.count >= end + 4 else { return .dropped(.wrongQuestion) }
        guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: reply[Header.size..<end]), name) else {
            return .dropped(.wrongQuestion)
        }
        let replyType = UInt16(reply[end]) << 8 | UInt16(reply[end + 1])
        let replyClass = UInt16(reply[end + 2]) << 8 | UInt16(reply[end + 3])
        guard replyType == type.rawValue, replyClass == recordClass.rawValue else { return .dropped(.wrongQuestion) }
        if let exactCase, exactCase.count == name.count,
           !exactCase.elementsEqual(UnsafeRawBufferPointer(rebasing: reply[Header.size..<end])) {
            return .dropped(.wrongCase)
        }
        return .accepted
    }

    /// The header rcode (4 bits) of a checked reply.
    @inline(__always)
    static func rcode(_ reply: UnsafeRawBufferPointer) -> ResponseCode { ResponseCode(rawValue: UInt16(reply[3] & 0x0F)) }

    @inline(__always)
    static func isTruncated(_ reply: UnsafeRawBufferPointer) -> Bool { reply[2] & 0x02 != 0 }

    @inline(__always)
    static func answerCount(_ reply: UnsafeRawBufferPointer) -> UInt16 { UInt16(reply[6]) << 8 | UInt16(reply[7]) }
}
