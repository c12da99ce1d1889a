/// "Did you mean …?": the existing names closest to a name that does not exist, by edit
/// distance (Levenshtein: insertions, deletions, substitutions), case-insensitively.
package enum NameSuggestions {
    /// Edit distance between `a` and `b`.
    /// - Complexity: O(|a| × |b|) time, O(|b|) memory.
    package static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars)
        let y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = Array(repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// Up to `limit` names from `candidates` close enough to `name` to be a plausible typo:
    /// within a third of the shorter name's length (at least 1 edit), or sharing a prefix or
    /// containing one another (`web` → `web-app`). Closest first, then alphabetical.
    package static func closest(to name: String, among candidates: [String], limit: Int = 3) -> [String] {
        let lower = name.lowercased()
        var scored: [(name: String, score: Int)] = []
        for candidate in Set(candidates) where candidate.lowercased() != lower {
            let d = distance(lower, candidate)
            let allowed = max(1, min(lower.count, candidate.count) / 3)
            let related = candidate.lowercased().hasPrefix(lower) || lower.hasPrefix(candidate.lowercased())
                || (lower.count >= 3 && candidate.lowercased().contains(lower))
            if d <= allowed || related {
                scored.append((candidate, related && d > allowed ? allowed + 1 : d))
            }
        }
        scored.sort { $0.score != $1.score ? $0.score < $1.score : $0.name < $1.name }
        return scored.prefix(limit).map(\.name)
    }
}
