import Foundation

/// The Corefile the node cache serves: its template (the mounted `node-local-dns` ConfigMap, or
/// the built-in one) rendered with `NodeCacheTemplate` and written where the server reads it, as
/// node-cache writes `/etc/Corefile` from `/etc/coredns/Corefile.base`.
///
/// Written to a file rather than handed over in memory so that `reload` in the template works as
/// with node-cache: `sync()` re-renders it when the ConfigMap changes, and the server's `reload`
/// poller picks the new file up (or keeps the old one serving if it is invalid).
package struct NodeCacheCorefile: Sendable {
    /// The template file; nil to use `builtIn`.
    package let templatePath: String?
    package let builtIn: String
    package let template: NodeCacheTemplate
    /// Where the rendered Corefile goes.
    package let outputPath: String

    package init(templatePath: String?, builtIn: String, template: NodeCacheTemplate, outputPath: String) {
        self.templatePath = templatePath
        self.builtIn = builtIn
        self.template = template
        self.outputPath = outputPath
    }

    /// The rendered text.
    /// - Throws: `NodeCacheError.file` when the template cannot be read; `.noClusterDNS` (see `NodeCacheTemplate`).
    package func render() throws(NodeCacheError) -> String {
        var text = builtIn
        if let templatePath {
            do {
                text = try String(contentsOfFile: templatePath, encoding: .utf8)
            } catch {
                throw .file(path: templatePath, operation: "read template", reason: Self.reason(error))
            }
        }
        return try template.render(text)
    }

    /// Renders and writes the Corefile when its text differs from the file's.
    /// - Returns: whether the file changed.
    /// - Throws: `NodeCacheError` when the template cannot be read or rendered, or the file written.
    @discardableResult
    package func sync() throws(NodeCacheError) -> Bool {
        let text = try render()
        if let current = try? String(contentsOfFile: outputPath, encoding: .utf8), current == text { return false }
        let url = URL(fileURLWithPath: outputPath)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw .file(path: outputPath, operation: "write Corefile", reason: Self.reason(error))
        }
        return true
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return SystemErrorText.text(Int32(underlying.code))
        }
        return nsError.localizedDescription
    }
}
