// Decoding throughput of the registry's two input paths, per CPU-second of one thread.
// Built by Benchmarks/decode-throughput.sh from ClusterRegistry's sources and this file as one
// module (as Fuzz/run.sh builds its targets), so it reaches the decoder's internal entry points.
//
//   decode-throughput manifest FILE [SECONDS]   ManifestStore.prepare of the whole file (first load
//                                                of one file: cut, hash, decode, shard), plus the
//                                                floors: libyaml's events and tokens of the same
//                                                documents, and Yams' composition of them
//   decode-throughput load DIR                   the first load of a manifest directory as the server
//                                                does it (every file decoded on every core, then the
//                                                snapshot built), once: CPU-seconds of all threads
//   decode-throughput api FILE [SECONDS]         the same documents as API JSON objects (metadata as
//                                                an API server writes it, managedFields included):
//                                                JSONNodeParser.parse, then decodeAPIObject, per object
//
// Figures are CPU time (getrusage user+sys of this process; single-threaded but for `load`), never wall time: the
// machines these run on are shared.

import CYaml
import Foundation
import Yams

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// Runs `body` (one pass) until `seconds` of CPU have gone (at least twice), after one untimed
/// pass; returns CPU-seconds per pass, the median of the passes' times.
func measure(_ seconds: Double, _ body: () -> Int) -> (perPass: Double, check: Int) {
    var check = body()
    var times: [Double] = []
    let start = cpuSeconds()
    while times.count < 2 || cpuSeconds() - start < seconds {
        let t0 = cpuSeconds()
        check &+= body()
        times.append(cpuSeconds() - t0)
    }
    times.sort()
    return (times[times.count / 2], check)
}

func report(_ name: String, bytes: Int, units: Int, unitName: String, _ result: (perPass: Double, check: Int)) {
    let mb = Double(bytes) / 1e6
    print(String(format: "%-28@ %8.2f MB/CPU-s  %10.0f %@/CPU-s  %8.1f µs/%@  (%.3f CPU-s per pass, check %d)",
                 name as NSString, mb / result.perPass, Double(units) / result.perPass, unitName as NSString,
                 result.perPass / Double(units) * 1e6, unitName as NSString, result.perPass, result.check))
}

/// libyaml's event stream of `chunk`, parsed and discarded: the parse the decoder cannot avoid.
func libyamlEvents(_ chunk: UnsafeBufferPointer<UInt8>) -> Int {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1, let base = chunk.baseAddress else { return 0 }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_input_string(&parser, base, chunk.count)
    var event = yaml_event_t()
    var n = 0
    while yaml_parser_parse(&parser, &event) == 1 {
        let end = event.type == YAML_STREAM_END_EVENT
        yaml_event_delete(&event)
        n += 1
        if end { break }
    }
    return n
}

/// libyaml's scanner alone (tokens, no grammar).
func libyamlTokens(_ chunk: UnsafeBufferPointer<UInt8>) -> Int {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1, let base = chunk.baseAddress else { return 0 }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_input_string(&parser, base, chunk.count)
    var token = yaml_token_t()
    var n = 0
    while yaml_parser_scan(&parser, &token) == 1 {
        let end = token.type == YAML_STREAM_END_TOKEN
        yaml_token_delete(&token)
        n += 1
        if end { break }
    }
    return n
}

let arguments = CommandLine.arguments
if arguments.count >= 3, arguments[1] == "load" {
    let directory = arguments[2]
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted()
    let paths = names.map { directory + "/" + $0 }
    let bytes = paths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    let start = cpuSeconds()
    let clock = ContinuousClock.now
    let store = ManifestStore()
    store.update(paths: paths, read: ManifestDirectoryWatcher.readText)
    let decoded = cpuSeconds()
    let snapshot = store.snapshot(previous: nil)
    let end = cpuSeconds()
    print(String(format: "load: %d files, %.1f MB: decode %.2f CPU-s (%.2f MB/CPU-s), snapshot %.2f CPU-s, total %.2f CPU-s, %@ wall; %d issues",
                 paths.count, Double(bytes) / 1e6, decoded - start, Double(bytes) / 1e6 / (decoded - start), end - decoded,
                 end - start, "\(ContinuousClock.now - clock)" as NSString, store.issues.count))
    withExtendedLifetime(snapshot) {}
    exit(0)
}
guard arguments.count >= 3, let data = FileManager.default.contents(atPath: arguments[2]) else {
    print("usage: decode-throughput manifest|api FILE [SECONDS] | load DIR")
    exit(2)
}
let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 3 : 3
let bytes = [UInt8](data)
let chunks = bytes.withUnsafeBufferPointer { ManifestDocuments.split($0) }
print("\(arguments[2]): \(bytes.count) bytes, \(chunks.count) documents")

switch arguments[1] {
case "manifest":
    report("ManifestStore.prepare", bytes: bytes.count, units: chunks.count, unitName: "doc", measure(seconds) {
        let prepared = ManifestStore.prepare(path: "bench.yaml", bytes: bytes, previous: nil, interner: StringInterner())
        return prepared.decoded + (prepared.state?.issues.count ?? 1000)
    })
    report("yams compose (basic)", bytes: bytes.count, units: chunks.count, unitName: "doc", measure(seconds) {
        var n = 0
        for chunk in chunks {
            let text = String(decoding: bytes[chunk.range], as: UTF8.self)
            guard let parser = try? Parser(yaml: text, resolver: .basic) else { continue }
            while let root = try? parser.nextRoot() { n += root.mapping?.count ?? 0 }
        }
        return n
    })
    report("floor: libyaml events", bytes: bytes.count, units: chunks.count, unitName: "doc", measure(seconds) {
        bytes.withUnsafeBufferPointer { all in
            chunks.reduce(0) { $0 + libyamlEvents(UnsafeBufferPointer(rebasing: all[$1.range])) }
        }
    })
    report("floor: libyaml tokens", bytes: bytes.count, units: chunks.count, unitName: "doc", measure(seconds) {
        bytes.withUnsafeBufferPointer { all in
            chunks.reduce(0) { $0 + libyamlTokens(UnsafeBufferPointer(rebasing: all[$1.range])) }
        }
    })
case "api":
    // The documents as an API server sends them: JSON, with the metadata it adds.
    var objects: [(json: [UInt8], kind: ObjectKind)] = []
    var serial = 0
    for chunk in chunks {
        let text = String(decoding: bytes[chunk.range], as: UTF8.self)
        guard var object = (try? Yams.load(yaml: text)) as? [String: Any],
              let kind = (object["kind"] as? String).flatMap(ObjectKind.init(rawValue:)) else { continue }
        serial += 1
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        metadata["uid"] = "0b6e4f2c-9d1e-4c55-8a7e-\(String(format: "%012d", serial))"
        metadata["resourceVersion"] = "\(1_000_000 + serial)"
        metadata["creationTimestamp"] = "2026-12-07T13:43:00Z"
        metadata["managedFields"] = [[
            "manager": "kube-controller-manager", "operation": "Update", "apiVersion": object["apiVersion"] ?? "v1",
            "time": "2026-12-07T13:43:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": ["f:metadata": ["f:labels": [".": [:] as [String: Any], "f:kubernetes.io/service-name": [:] as [String: Any]]]],
        ] as [String: Any]]
        object["metadata"] = metadata
        guard let json = try? JSONSerialization.data(withJSONObject: object) else { continue }
        objects.append(([UInt8](json), kind))
    }
    let jsonBytes = objects.reduce(0) { $0 + $1.json.count }
    print("\(objects.count) API objects, \(jsonBytes) bytes of JSON")
    report("JSONNodeParser.parse", bytes: jsonBytes, units: objects.count, unitName: "obj", measure(seconds) {
        var n = 0
        for object in objects { if (try? JSONNodeParser.parse(object.json)) != nil { n += 1 } }
        return n
    })
    report("parse + decodeAPIObject", bytes: jsonBytes, units: objects.count, unitName: "obj", measure(seconds) {
        let decoder = ManifestDecoder(interner: StringInterner())
        var n = 0
        for object in objects {
            guard let node = try? JSONNodeParser.parse(object.json) else { continue }
            if decoder.decodeAPIObject(node, kind: object.kind, origin: "bench").object != nil { n += 1 }
        }
        return n
    })
default:
    print("unknown mode \(arguments[1]) (manifest, api)")
    exit(2)
}
