import AsyncHTTPClient
import ClusterRegistry
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The Kubernetes API source's HTTP: async-http-client with TLS from swift-nio-ssl, on its own
/// event-loop threads (control plane only; the DNS data path never touches it).
///
/// HTTP/2 is negotiated when the server offers it (the API server does), so every watch of a
/// replica shares one connection, as client-go's do; HTTP/1.1 servers get one connection per
/// concurrent request.
package final class AsyncHTTPTransport: APITransport {
    private let client: HTTPClient
    private let base: String

    /// - Throws: when a certificate or key named by `settings` cannot be read.
    package init(settings: APIServerSettings) throws(APIConfigError) {
        guard let parts = settings.hostAndPort, parts.scheme == "https" || parts.scheme == "http" else {
            throw APIConfigError("\(settings.origin): server '\(settings.server)' is not an http:// or https:// URL")
        }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        if parts.scheme == "https" {
            configuration.tlsConfiguration = try Self.tls(settings)
        }
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.base = settings.server
    }

    static func tls(_ settings: APIServerSettings) throws(APIConfigError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if settings.insecureSkipTLSVerify {
                tls.certificateVerification = .none
            } else if let file = settings.certificateAuthorityFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            } else if let data = settings.certificateAuthorityData {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(data))
            }
        } catch {
            throw APIConfigError("\(settings.origin): cannot read the certificate authority: \(error)")
        }
        do {
            if let file = settings.clientCertificateFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(file).map { .certificate($0) }
            } else if let data = settings.clientCertificateData {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(data).map { .certificate($0) }
            }
            if let file = settings.clientKeyFile {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: file, format: .pem))
            } else if let data = settings.clientKeyData {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: data, format: .pem))
            }
        } catch {
            throw APIConfigError("\(settings.origin): cannot read the client certificate or key: \(error)")
        }
        return tls
    }

    package func get(_ pathAndQuery: String, headers: [(String, String)], headTimeout: Duration) async throws(APITransportError) -> APIResponse {
        var request = HTTPClientRequest(url: base + pathAndQuery)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let (seconds, attoseconds) = headTimeout.components
        let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, timeout: timeout)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return APIResponse(status: Int(response.status.code), retryAfter: retryAfter, body: Body(response.body))
        } catch {
            throw Self.map(error)
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    static func map(_ error: any Error) -> APITransportError {
        if error is CancellationError { return APITransportError(.cancelled, "cancelled") }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return APITransportError(.timeout, "timed out (\(http))")
            case .cancelled: return APITransportError(.cancelled, "cancelled")
            case .remoteConnectionClosed: return APITransportError(.broken, "connection closed by the server")
            default: return APITransportError(.broken, "\(http)")
            }
        }
        if error is NIOSSLError || error is BoringSSLError { return APITransportError(.tls, "TLS: \(error)") }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return APITransportError(.connect, "connection refused")
        }
        return APITransportError(.connect, text)
    }

    /// Pulls the response body; one reader task at a time (the watcher's).
    final class Body: APIResponseBody, @unchecked Sendable {
        // @unchecked: the iterator is only advanced by the single task that reads this body.
        private var iterator: HTTPClientResponse.Body.AsyncIterator

        init(_ body: HTTPClientResponse.Body) {
            self.iterator = body.makeAsyncIterator()
        }

        func next() async throws(APITransportError) -> [UInt8]? {
            do {
                guard let buffer = try await iterator.next() else { return nil }
                return Array(buffer.readableBytesView)
            } catch {
                throw AsyncHTTPTransport.map(error)
            }
        }
    }
}

/// Makes `AsyncHTTPTransport`s; handed to the server by the executable.
package struct AsyncHTTPTransportFactory: APITransportFactory {
    package init() {}

    package func makeTransport(settings: APIServerSettings) throws(APIConfigError) -> any APITransport {
        try AsyncHTTPTransport(settings: settings)
    }
}
