/// A JSON tree with one canonical text form, so equal trees hash alike: object keys
/// sorted by their UTF-8 bytes, no whitespace, strings escaped minimally (`"`, `\`,
/// control characters as \n \r \t \b \f or \u00XX), integers in plain decimal.
/// Money is always a string (`ExactDecimal.canonicalText`), never a JSON number.
public indirect enum CanonicalJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    public static func decimal(_ value: ExactDecimal) -> CanonicalJSON { .string(value.canonicalText) }

    /// The canonical text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The canonical encoding as UTF-8 bytes.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512)
        write(into: &out)
        return out
    }

    public func write(to out: inout String) { out += text }

    /// Appends the canonical encoding. Bytes, not `String` appends: frames are
    /// encoded once per closed window, on the rater's thread.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): Self.writeInteger(i, into: &out)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members): Self.writeObject(members, into: &out)
        }
    }

    /// An object's canonical encoding (also used for frames' groupby and metadata
    /// without wrapping them in a tree node).
    static func writeObject(_ members: [String: CanonicalJSON], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, key) in sortedKeys(members).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            members[key]!.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Object keys in canonical order: by their UTF-8 bytes.
    public static func sortedKeys(_ members: [String: CanonicalJSON]) -> [String] {
        members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The decimal digits of `value`, written as digit pairs on the stack and appended once.
    static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 8) { digits in
            let end = digits.baseAddress! + 20
            let count = DigitPairs.writeDigits(value.magnitude, endingAt: end)
            out.append(contentsOf: UnsafeRawBufferPointer(start: end - count, count: count))
        }
    }

    /// `value.canonicalText` as a JSON string, written without an intermediate `String`:
    /// trailing zeros stripped, plain notation, "0" for zero, "-" only for negatives.
    static func writeDecimal(_ value: ExactDecimal, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        writeDecimalText(value, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// `value.canonicalText`'s bytes (no quotes), measured and placed in one piece
    /// (`DecimalText`).
    static func writeDecimalText(_ value: ExactDecimal, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: DecimalText.scratchSize, alignment: 8) { scratch in
            let digits = scratch.baseAddress!
            guard let text = DecimalText(value, digits: digits) else { out.append(UInt8(ascii: "0")); return }
            // Placed in a stack buffer, then appended in one copy (appending a repeated zero
            // to fill in place cost as much as the digits: ~330 instructions).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.length) { buffer in
                text.write(from: digits, to: buffer.baseAddress!)
                out.append(contentsOf: UnsafeBufferPointer(buffer))
            }
        }
    }

    /// `s` as a JSON string literal, escaped as `writeString` does: the one escaping every
    /// JSON writer of Tally shares (frames, rule events, API answers, log lines).
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Escapes only `"`, `\` and control characters (as \n \r \t \b \f or \u00XX).
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for (i, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                runStart = i + 1
                switch byte {
                case 0x22: out.append(contentsOf: "\\\"".utf8)
                case 0x5C: out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                case 0x08: out.append(contentsOf: "\\b".utf8)
                case 0x0C: out.append(contentsOf: "\\f".utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(byte >> 4)]); out.append(hex[Int(byte & 15)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
