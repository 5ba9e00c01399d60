/// A content hash for rule books, so a frame can name "rule book version V, hash H" and
/// anyone can check that two books mean the same. Encoding: docs/RULE-LOG.md.

extension RuleSet {
    /// The canonical tree: independent of declaration order (groups, services, fields
    /// and rules sorted by name or id), every module with its effective setting
    /// (defaults resolved), rules with their validity (`start` omitted when the rule
    /// has always applied, `end` when it never ends).
    public var canonicalJSON: CanonicalJSON {
        func sortedBy<T>(_ items: [T], _ key: (T) -> String) -> [T] {
            items.sorted { key($0).utf8.lexicographicallyPrecedes(key($1).utf8) }
        }
        func rule(_ item: RuleItem, _ validity: RuleValidity) -> CanonicalJSON {
            var members = item.canonicalMembers.dictionary
            members.removeValue(forKey: "kind")
            if validity.start != .distantPast { members["start"] = .time(validity.start) }
            if let end = validity.end { members["end"] = .time(end) }
            return .object(members)
        }
        var modules: [String: CanonicalJSON] = [:]
        for module in RatingModuleKind.allCases {
            let s = setting(for: module)
            modules[module.rawValue] = .object(["enabled": .bool(s.enabled), "priority": .integer(Int64(s.priority))])
        }
        return .object([
            "groups": .array(sortedBy(groups, { $0 }).map { .string($0) }),
            "services": .array(sortedBy(services, \.name).map { service in
                .object(["name": .string(service.name),
                         "fields": .array(sortedBy(service.fields, { $0 }).map { .string($0) })])
            }),
            "mappings": .array(sortedBy(mappings, \.id).map { rule(.mapping($0), $0.validity) }),
            "thresholds": .array(sortedBy(thresholds, \.id).map { rule(.threshold($0), $0.validity) }),
            "tiers": .array(sortedBy(tiers, \.id).map { rule(.tier($0), $0.validity) }),
            "scripts": .array(sortedBy(scripts, \.id).map { rule(.script($0), $0.validity) }),
            "modules": .object(modules),
        ])
    }

    /// SHA-256 (lowercase hex) of the UTF-8 of `canonicalJSON.text`.
    public var contentHash: String {
        var sha = SHA256()
        sha.update(canonicalJSON.bytes)
        return sha.finalize().lowercaseHex
    }
}

extension RuleBook {
    /// `rules.contentHash`: names the book's content in frames.
    public var contentHash: String { rules.contentHash }
}
