extension ManifestDecoder {
    /// Decodes one object read from the Kubernetes API: a list item (which comes without `kind`
    /// and `apiVersion`, so `kind` supplies them) or a watch event's object. The same checks
    /// and stripping as for manifests apply; issues name `origin` (`kubernetes-api services`)
    /// where a manifest issue names its file.
    func decodeAPIObject(_ node: ManifestValue, kind: ObjectKind, origin: String) -> (object: ClusterObject?, issues: [ManifestIssue]) {
        var result = DecodedManifest()
        decodeObject(ManifestNode(node, path: ""), defaultKind: kind.rawValue, file: origin, document: 1, item: nil, into: &result)
        if let object = result.objects.first, object.kind != kind {
            // A watch on services carries services; anything else is the server's mistake.
            return (nil, [ManifestIssue(code: .wrongType, file: origin, kind: object.kind.rawValue,
                                        namespace: object.identity.namespace, name: object.identity.name,
                                        message: "expected a \(kind), the stream carried a \(object.kind)")])
        }
        return (result.objects.first, result.issues)
    }
}
