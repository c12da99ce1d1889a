/// Every benchmark the runner knows, in the order they print.
///
/// To add a group (registry lookups, plugin-chain answers, …): write `<Area>Benchmarks.swift`
/// beside this file with `enum <Area>Benchmarks { static let all: [Benchmark] = [...] }`, append
/// `<Area>Benchmarks.all` here, and check in `Thresholds/<name>.json` for each benchmark whose
/// allocation count must not grow. See Benchmarks/README.md.
let allBenchmarks: [Benchmark] = WireBenchmarks.all + KubernetesBenchmarks.all + ChainBenchmarks.all + CookieBenchmarks.all
