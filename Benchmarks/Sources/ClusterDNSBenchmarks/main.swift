// ClusterDNSBenchmarks: microbenchmarks for the hot path, timed (ns/op) and allocation-counted
// (mallocs/op). Usage:
//   ClusterDNSBenchmarks [--filter TEXT]... [--check] [--thresholds DIR] [--list]
//                        [--iterations N] [--runs N]
//   --filter TEXT    only benchmarks whose name contains TEXT (any case), or is exactly TEXT; repeatable
//   --check          exit 1 when a benchmark allocates more per op than Thresholds/<name>.json allows
//   --iterations N   run each selected body exactly N times, untimed (for valgrind --tool=dhat)
// The benchmark list is `allBenchmarks` in AllBenchmarks.swift.
import Foundation

struct Options {
    var filters: [String] = []
    var check = false
    var list = false
    var thresholds = Thresholds.defaultDirectory
    var fixedIterations: Int? = nil
    var runs = 5

    static func parse(_ arguments: [String]) -> Result<Options, ThresholdError> {
        var options = Options()
        var i = 0
        func value(_ flag: String) -> String? {
            i += 1
            return i < arguments.count ? arguments[i] : nil
        }
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--filter":
                guard let v = value(argument) else { return .failure(ThresholdError(message: "--filter needs a value")) }
                options.filters.append(v.lowercased())
            case "--check": options.check = true
            case "--list": options.list = true
            case "--thresholds":
                guard let v = value(argument) else { return .failure(ThresholdError(message: "--thresholds needs a directory")) }
                options.thresholds = v
            case "--iterations":
                guard let v = value(argument), let n = Int(v), n > 0 else {
                    return .failure(ThresholdError(message: "--iterations needs a positive number"))
                }
                options.fixedIterations = n
            case "--runs":
                guard let v = value(argument), let n = Int(v), n > 0 else {
                    return .failure(ThresholdError(message: "--runs needs a positive number"))
                }
                options.runs = n
            case "--help", "-h":
                print("usage: ClusterDNSBenchmarks [--filter TEXT]... [--check] [--thresholds DIR] [--list] [--iterations N] [--runs N]")
                exit(0)
            default:
                return .failure(ThresholdError(message: "unknown argument '\(argument)' (try --help)"))
            }
            i += 1
        }
        return .success(options)
    }
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

func format(_ value: Double, decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

func main() -> Int32 {
    let options: Options
    switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
    case .success(let o): options = o
    case .failure(let error):
        FileHandle.standardError.write(Data("ClusterDNSBenchmarks: \(error)\n".utf8))
        return 2
    }
    let names = Set(allBenchmarks.map(\.name))
    guard names.count == allBenchmarks.count else {
        FileHandle.standardError.write(Data("ClusterDNSBenchmarks: two benchmarks share a name\n".utf8))
        return 2
    }
    // A filter that is a whole name selects that benchmark alone; otherwise it matches substrings.
    let selected = allBenchmarks.filter { b in
        options.filters.isEmpty || options.filters.contains { filter in
            names.contains { $0.lowercased() == filter } ? b.name.lowercased() == filter : b.name.lowercased().contains(filter)
        }
    }
    if options.list {
        for b in selected { print("\(pad(b.name, 24)) \(b.summary)") }
        return 0
    }
    if let n = options.fixedIterations {
        for b in selected { Runner().runFixed(b, iterations: n) }
        print("ran \(selected.map(\.name).joined(separator: ", ")) \(n) times each")
        return 0
    }
    guard Runner.interposerCounts() else {
        FileHandle.standardError.write(Data("""
            ClusterDNSBenchmarks: malloc-interposer does not see this process's allocations; \
            run with LD_PRELOAD=<.build/release>/libMallocInterposerSwift.so\n
            """.utf8))
        return 2
    }

    var runner = Runner()
    runner.runs = options.runs
    print("\(pad("benchmark", 24)) \(pad("ns/op", 10, right: true)) \(pad("min…max", 17, right: true)) \(pad("mallocs/op", 11, right: true)) \(pad("bytes/op", 10, right: true)) \(pad("iter/run", 10, right: true))")
    var failures: [String] = []
    for benchmark in selected {
        let m = runner.measure(benchmark)
        let spread = "\(format(m.fastest, decimals: 1))…\(format(m.slowest, decimals: 1))"
        print("\(pad(m.name, 24)) \(pad(format(m.nanosecondsPerOp, decimals: 1), 10, right: true)) \(pad(spread, 17, right: true)) "
              + "\(pad(format(m.mallocsPerOp, decimals: 2), 11, right: true)) \(pad(format(m.bytesPerOp, decimals: 0), 10, right: true)) "
              + "\(pad(String(m.iterationsPerRun), 10, right: true))")
        guard options.check else { continue }
        do {
            guard let threshold = try Thresholds.load(m.name, from: options.thresholds) else { continue }
            // A hundredth of an allocation per op absorbs a rare runtime-internal allocation
            // (e.g. a lazily grown cache) without letting one per operation through.
            if m.mallocsPerOp > threshold.mallocs + 0.01 {
                failures.append("\(m.name): \(format(m.mallocsPerOp, decimals: 2)) mallocs/op, threshold \(threshold.mallocs)")
            }
        } catch {
            failures.append("\(error)")
        }
    }
    print("ns/op: median of \(options.runs) runs of about 0.1 s each; mallocs/op counted by malloc-interposer over a separate batch.")
    if options.check {
        if failures.isEmpty {
            print("check: every benchmark within its allocation threshold (\(options.thresholds))")
        } else {
            for f in failures { print("check FAILED: \(f)") }
            return 1
        }
    }
    return 0
}

exit(main())
