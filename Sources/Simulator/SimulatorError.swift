/// Why a simulation could not start: a bad argument, an unreadable file, a Corefile the
/// in-process server rejects. The message names the input and says what to do.
package struct SimulatorError: Error, CustomStringConvertible, Sendable, Equatable {
    package let message: String

    package init(_ message: String) { self.message = message }

    package var description: String { message }
}
