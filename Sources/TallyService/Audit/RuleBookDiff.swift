import TallyCore

/// The difference of two canonical rule-book trees, item by item: each rule or declaration
/// (keyed by its id, or name) added, removed or changed, with both versions; module settings
/// compared whole. Pure, so the dashboard and the API show the same thing.
enum RuleBookDiff {
    static func changes(from before: CanonicalJSON, to after: CanonicalJSON) -> [JSONValue] {
        guard case .object(let old) = before, case .object(let new) = after else { return [] }
        var out: [JSONValue] = []
        for section in Set(old.keys).union(new.keys).sorted() {
            let a = items(old[section]), b = items(new[section])
            for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
                let kind = a[key] == nil ? "added" : b[key] == nil ? "removed" : "changed"
                out.append(.object([("section", .string(section)), ("key", .string(key)), ("change", .string(kind)),
                                    ("before", a[key].map { .raw($0.text) } ?? .null),
                                    ("after", b[key].map { .raw($0.text) } ?? .null)]))
            }
        }
        return out
    }

    /// A section's items by identity: lists by `id` (rules) or `name` (declarations);
    /// an object section (modules) is one item.
    private static func items(_ node: CanonicalJSON?) -> [String: CanonicalJSON] {
        switch node {
        case .array(let list)?:
            var out: [String: CanonicalJSON] = [:]
            for (i, item) in list.enumerated() {
                var key = "#\(i)"
                if case .object(let m) = item {
                    if case .string(let id)? = m["id"] { key = id } else if case .string(let name)? = m["name"] { key = name }
                }
                out[key] = item
            }
            return out
        case .object(let members)?:
            var out: [String: CanonicalJSON] = [:]
            for (key, value) in members { out[key] = value }
            return out
        case let other?: return ["value": other]
        case nil: return [:]
        }
    }
}
