/// Why a simulation could not start: a bad argument, an unreadable file, a Corefile the
/// in-process server rejects. The message names the input and says what to do.
public struct SimulatorError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
