import Foundation

/// Finds the example cluster's manifests (`Zones/manifests` in the source tree) for a
/// simulation that names no source of answers.
///
/// Looked for, in order: `$CLUSTERDNS_EXAMPLES`; `Zones/manifests` in the package the running
/// binary was built in (walking up from the executable, so `.build/debug/clusterdns` finds the
/// checkout); `Zones/manifests` under the current directory; the installed copies
/// `/usr/local/share/clusterdns/manifests` and `/usr/share/clusterdns/manifests`.
package enum ExampleCluster {
    package static func candidates(executable: String, currentDirectory: String,
                                  environment: [String: String]) -> [String] {
        var out: [String] = []
        if let explicit = environment["CLUSTERDNS_EXAMPLES"], !explicit.isEmpty { out.append(explicit) }
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            out.append(directory.appendingPathComponent("Zones/manifests").path)
            directory = directory.deletingLastPathComponent()
        }
        out.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("Zones/manifests").path)
        out.append("/usr/local/share/clusterdns/manifests")
        out.append("/usr/share/clusterdns/manifests")
        return out
    }

    /// The first candidate directory that exists, or nil.
    package static func locate(executable: String = CommandLine.arguments.first ?? "",
                              currentDirectory: String = FileManager.default.currentDirectoryPath,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        var isDirectory: ObjCBool = false
        for path in candidates(executable: executable, currentDirectory: currentDirectory, environment: environment)
        where FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue {
            return path
        }
        return nil
    }
}
