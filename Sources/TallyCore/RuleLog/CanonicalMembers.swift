/// Object members as a small list: cheaper than a dictionary for the dozen members of
/// a rule event, and written in the same canonical order (keys by UTF-8 bytes).
struct CanonicalMembers: ExpressibleByDictionaryLiteral {
    var pairs: [(key: String, value: CanonicalJSON)] = []
    /// Members that are themselves member lists (written without a tree).
    var nested: [String: CanonicalMembers] = [:]

    init() {}

    init(dictionaryLiteral elements: (String, CanonicalJSON)...) {
        pairs = elements.map { (key: $0.0, value: $0.1) }
    }

    subscript(key: String) -> CanonicalJSON? {
        get { pairs.first { $0.key == key }?.value }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) { pairs.remove(at: i) }
            if let newValue { pairs.append((key, newValue)) }
        }
    }

    var dictionary: [String: CanonicalJSON] {
        var d = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        for (key, members) in nested { d[key] = .object(members.dictionary) }
        return d
    }

    func write(into out: inout [UInt8]) {
        var keys = pairs.indices.map { (key: pairs[$0].key, index: $0, nested: false) }
        keys += nested.keys.map { (key: $0, index: -1, nested: true) }
        keys.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        out.append(UInt8(ascii: "{"))
        for (i, entry) in keys.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeString(entry.key, into: &out)
            out.append(UInt8(ascii: ":"))
            if entry.nested { nested[entry.key]!.write(into: &out) } else { pairs[entry.index].value.write(into: &out) }
        }
        out.append(UInt8(ascii: "}"))
    }
}
