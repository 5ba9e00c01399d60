/// The canonical text of a `CanonicalJSON` tree written straight into UTF-8 bytes:
/// byte for byte the same as `text` (tests check it), without building a `String`
/// scalar by scalar. Rule events are hashed on every fold, so this is the fold's hot path.
extension CanonicalJSON {
    /// The UTF-8 of `text`.
    public var utf8Bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Same escapes as `writeString(_:to:)`: `"` `\` and control characters only.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var plainStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plainStart..<i]))
                plainStart = i + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x22, 0x5C: out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plainStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

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
