import DNSWire

/// What one manifest file decoded to, when it parsed.
struct DecodedManifest {
    /// Objects in document order.
    var objects: [ClusterObject] = []
    var issues: [ManifestIssue] = []
    /// Objects of kinds the registry does not serve (`Deployment`, `ConfigMap`…), by kind.
    var unknownKinds: [String: Int] = [:]
    /// Objects rejected as invalid, with the position of their issue in `issues`; the store
    /// keeps their previous version when there is one.
    var rejected: [ObjectIdentity: Int] = [:]
    var documentCount = 0
}

/// Turns manifest text (YAML, multi-document YAML, `kind: List`, JSON) into stripped objects.
///
/// Each document is decoded on its own: a bad object becomes a `ManifestIssue` naming the file,
/// the document, the object and the field, and the rest of the file is still taken. Only a
/// syntax error fails the whole file, because nothing after it can be trusted.
struct ManifestDecoder {
    let interner: StringInterner

    /// Decodes `text` read from `file`.
    /// - Returns: the objects and issues, or the syntax error (`.syntax` issue) that stopped it.
    func decode(_ text: String, file: String) -> Result<DecodedManifest, ManifestSyntaxError> {
        var text = text
        return text.withUTF8 { decode($0, file: file) }
    }

    /// Decodes the UTF-8 `text` read from `file`: libyaml's events composed into one
    /// `ManifestTree` (one pass, see `YAMLComposer`), then each document read from it.
    func decode(_ text: UnsafeBufferPointer<UInt8>, file: String) -> Result<DecodedManifest, ManifestSyntaxError> {
        let tree: ManifestTree
        let roots: [Int32]
        switch YAMLComposer.compose(text) {
        case .success(let composed): (tree, roots) = composed
        case .failure(let error): return .failure(error)
        }
        var result = DecodedManifest()
        for (index, root) in roots.enumerated() {
            decodeDocument(ManifestValue(tree: tree, id: root), file: file, document: index + 1, into: &result)
        }
        result.documentCount = roots.count
        return .success(result)
    }

    private func decodeDocument(_ root: ManifestValue, file: String, document: Int, into result: inout DecodedManifest) {
        let node = ManifestNode(root, path: "")
        if node.isNull { return }  // an empty document (a trailing `---`) is allowed
        guard root.kind == .mapping else {
            result.issues.append(ManifestIssue(
                code: .notAnObject, file: file, document: document, line: node.line,
                message: "a manifest document must be a mapping with apiVersion and kind"))
            return
        }
        let kind: String
        do throws(ObjectDecodingError) {
            guard let k = try node.optionalString("kind"), !k.isEmpty else {
                throw ObjectDecodingError(code: .missingKind, message: "kind: required field is missing", line: node.line)
            }
            kind = k
        } catch {
            result.issues.append(ManifestIssue(
                code: error.code, file: file, document: document, line: error.line, message: error.message))
            return
        }
        if kind == "List" || (kind.hasSuffix("List") && ObjectKind(rawValue: String(kind.dropLast(4))) != nil) {
            // `kubectl get -o yaml` writes `kind: List`; the API writes `ServiceList` and may omit
            // the items' kind, which the list's kind then supplies.
            let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
            let items: [ManifestNode]
            do {
                items = try node.optionalList("items")
            } catch {
                result.issues.append(ManifestIssue(
                    code: error.code, file: file, document: document, kind: kind, line: error.line,
                    message: error.message))
                return
            }
            for (index, item) in items.enumerated() {
                let itemNode = ManifestNode(item.value, path: "")
                decodeObject(itemNode, defaultKind: itemKind, file: file, document: document, item: index, into: &result)
            }
            return
        }
        decodeObject(node, defaultKind: nil, file: file, document: document, item: nil, into: &result)
    }

    func decodeObject(
        _ node: ManifestNode, defaultKind: String?, file: String, document: Int, item: Int?,
        into result: inout DecodedManifest
    ) {
        if node.isNull { return }
        // Read what identifies the object first, so even a broken object is named in its issue.
        var kindText = defaultKind
        var namespace: String?
        var name: String?
        let decoded: Result<ClusterObject?, ObjectDecodingError> = Result { () throws(ObjectDecodingError) in
            if let k = try node.optionalString("kind") { kindText = k }
            guard let kindText else { throw node.fail(.missingKind, "kind: required field is missing") }
            let metadata = try node.optional("metadata")
            name = try metadata?.optionalString("name")
            namespace = try metadata?.optionalString("namespace")
            guard let kind = ObjectKind(rawValue: kindText) else { return nil }
            if let apiVersion = try node.optionalString("apiVersion"), !kind.apiVersions.contains(apiVersion) {
                throw node.fail(.unsupportedAPIVersion,
                    "apiVersion \"\(apiVersion)\" is not served for \(kind) (expected \(kind.apiVersions.joined(separator: " or ")))")
            }
            if kind.isNamespaced, namespace?.isEmpty ?? true { namespace = "default" }
            return try decode(kind: kind, node, metadata: metadata, namespace: namespace ?? "", name: name)
        }
        switch decoded {
        case .success(let object?):
            result.objects.append(object)
            result.issues.append(contentsOf: warnings(for: object, file: file, document: document, item: item))
        case .success(nil):
            result.unknownKinds[kindText ?? "?", default: 0] += 1
        case .failure(let error):
            if let kind = kindText.flatMap(ObjectKind.init(rawValue:)), let name {
                let ns = kind.isNamespaced ? (namespace ?? "default") : ""
                result.rejected[ObjectIdentity(kind: kind, namespace: ns, name: name)] = result.issues.count
            }
            let isMissingServiceName = error.code == .missingServiceName
            result.issues.append(ManifestIssue(
                severity: isMissingServiceName ? .warning : .error, code: error.code, file: file,
                document: document, item: item, kind: kindText, namespace: namespace, name: name,
                line: error.line, message: error.message))
        }
    }

    private func decode(
        kind: ObjectKind, _ node: ManifestNode, metadata: ManifestNode?, namespace: String, name: String?
    ) throws(ObjectDecodingError) -> ClusterObject {
        guard let metadata else { throw node.fail(.missingField, "metadata: required field is missing") }
        guard let name, !name.isEmpty else {
            throw ObjectDecodingError(code: .missingField, message: "metadata.name: required field is missing", line: metadata.line)
        }
        let nameNode = try metadata.required("name")
        if kind.isNamespaced {
            guard KubernetesNames.isRFC1123Label(namespace) else {
                throw (try metadata.optional("namespace") ?? metadata).fail(.invalidName,
                    "\"\(namespace)\" is not a valid namespace name (RFC 1123 label: lowercase letters, digits and '-', at most 63)")
            }
        }
        let common = ObjectHeader(
            namespace: interner.intern(namespace), name: name, nameNode: nameNode,
            // Slices and Endpoints keep no labels (EndpointSlice); their service name is read apart.
            labels: kind == .endpointSlice || kind == .endpoints ? .empty : interner.intern(try labels(try metadata.optional("labels"))),
            annotations: try metadata.optional("annotations")?.stringMap() ?? [:],
            isTerminating: try metadata.optional("deletionTimestamp") != nil)
        switch kind {
        case .namespace: return .namespace(try decodeNamespace(common))
        case .service: return .service(try decodeService(node, common))
        case .endpointSlice: return .endpointSlice(try decodeEndpointSlice(node, common))
        case .endpoints: return .endpoints(try decodeEndpoints(node, common))
        case .pod: return .pod(try decodePod(node, common))
        }
    }

    func labels(_ node: ManifestNode?) throws(ObjectDecodingError) -> Labels {
        guard let node else { return .empty }
        let map = try node.stringMap()
        var pairs: [Labels.Pair] = []
        pairs.reserveCapacity(map.count)
        for (k, v) in map { pairs.append(Labels.Pair(key: interner.intern(k), value: interner.intern(v))) }
        pairs.sort { $0.key < $1.key }
        return Labels(sortedPairs: pairs)
    }

    /// Warnings for objects that were taken but will not be served as their author may expect.
    private func warnings(for object: ClusterObject, file: String, document: Int, item: Int?) -> [ManifestIssue] {
        func warn(_ code: ManifestIssue.Code, _ message: String) -> ManifestIssue {
            let id = object.identity
            return ManifestIssue(
                severity: .warning, code: code, file: file, document: document, item: item,
                kind: id.kind.rawValue, namespace: id.namespace, name: id.name, message: message)
        }
        switch object {
        case .service(let s) where s.type != .externalName && !s.isHeadless && s.clusterIPs.isEmpty:
            return [warn(.unserved, "spec.clusterIP is not set, so the service has no A/AAAA records (a cluster would allocate one; write it in the manifest)")]
        case .service(let s) where s.type == .externalName && s.externalName == nil:
            return [warn(.unserved, "spec.externalName is an IP address; no CNAME is served (as CoreDNS)")]
        case .endpointSlice(let e) where e.addressType == .fqdn:
            return [warn(.unserved, "addressType FQDN is not served; the slice contributes no addresses")]
        default:
            return []
        }
    }
}

/// The metadata every kind shares, read once.
struct ObjectHeader {
    var namespace: String
    var name: String
    var nameNode: ManifestNode
    var labels: Labels
    var annotations: [String: String]
    var isTerminating: Bool

    /// Fails unless `name` satisfies `rule`, naming the rule in the message.
    func requireName(_ rule: (String) -> Bool, _ ruleText: String) throws(ObjectDecodingError) {
        guard rule(name) else { throw nameNode.fail(.invalidName, "\"\(name)\" is not a valid name (\(ruleText))") }
    }
}

/// A file that is not valid YAML/JSON: where and why, as the YAML parser said.
struct ManifestSyntaxError: Error {
    var line: Int?
    var column: Int?
    var message: String

    init(line: Int?, column: Int?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}
