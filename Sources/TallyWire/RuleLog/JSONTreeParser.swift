import TallyCore

/// Parses JSON text into a `CanonicalJSON` tree, for formats small enough that a tree
/// is fine (rule events, not samples). Numbers must be integers that fit Int64:
/// Tally's canonical formats write decimals as strings. Duplicate keys are refused,
/// since a tree cannot keep both and the canonical re-encoding would silently differ.
enum JSONTreeParser {
    /// `decimalsAsText`: a number that is not an Int64 becomes a `.string` of its exact
    /// text (for foreign exports such as CloudKitty's, which write costs as numbers).
    static func parse(_ bytes: [UInt8], decimalsAsText: Bool = false) throws(JSONSyntaxError) -> CanonicalJSON {
        let result = bytes.withUnsafeBytes { raw -> Result<CanonicalJSON, JSONSyntaxError> in
            var scanner = JSONScanner(raw)
            let scratch = ScratchBuffer(capacity: 256)
            do throws(JSONSyntaxError) {
                let tree = try value(&scanner, scratch, depth: 0, decimalsAsText: decimalsAsText)
                try scanner.expectEnd()
                return .success(tree)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func value(_ s: inout JSONScanner, _ scratch: ScratchBuffer, depth: Int,
                              decimalsAsText: Bool) throws(JSONSyntaxError) -> CanonicalJSON {
        guard depth < 64 else { throw s.fail("nesting deeper than 64") }
        switch try s.peekKind() {
        case .null: try s.readNull(); return .null
        case .bool: return .bool(try s.readBool())
        case .string: return .string(try string(&s, scratch))
        case .number:
            let start = s.position
            let span = try s.readNumber()
            let text = String(decoding: s.bytes(span.range), as: UTF8.self)
            guard span.isInteger, let n = Int64(text) else {
                if decimalsAsText { return .string(text) }
                throw s.fail("the number \(text) is not an integer that fits 64 bits (decimals are written as strings)", at: start)
            }
            return .integer(n)
        case .array:
            try s.beginArray()
            var items: [CanonicalJSON] = []
            var first = true
            while try s.nextElement(&first) { items.append(try value(&s, scratch, depth: depth + 1, decimalsAsText: decimalsAsText)) }
            return .array(items)
        case .object:
            try s.beginObject()
            var members: [String: CanonicalJSON] = [:]
            var first = true
            while true {
                let keyStart = s.position
                guard let span = try s.nextMember(&first) else { break }
                let key = text(span, s, scratch)
                let member = try value(&s, scratch, depth: depth + 1, decimalsAsText: decimalsAsText)
                guard members.updateValue(member, forKey: key) == nil else {
                    throw s.fail("duplicate key \"\(key)\"", at: keyStart)
                }
            }
            return .object(members)
        }
    }

    private static func string(_ s: inout JSONScanner, _ scratch: ScratchBuffer) throws(JSONSyntaxError) -> String {
        text(try s.readString(), s, scratch)
    }

    private static func text(_ span: JSONStringSpan, _ s: JSONScanner, _ scratch: ScratchBuffer) -> String {
        let raw = s.bytes(span.range)
        let bytes = span.hasEscapes ? JSONUnescaper.unescape(raw, into: scratch) : raw
        return String(decoding: bytes, as: UTF8.self)
    }
}
