// The syscall layer (`Syscall`, `SystemError`, `SocketAddress`, `Signals`) is the vocabulary of
// every EventLoop API, so an importer of EventLoop sees it without a second import.
@_exported import SystemCalls
