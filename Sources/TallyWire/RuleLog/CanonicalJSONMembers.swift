import TallyCore

extension CanonicalJSONParser {
    /// Some top-level members of the JSON object in `bytes`, for readers that need a few
    /// members of a large record (a replay summarising ~2 KB frames reads eight). Every other
    /// member is checked by the same rules as `parse` (syntax, integers that fit 64 bits,
    /// nesting under 64, no duplicate key at any depth) but never built, so a document is
    /// refused exactly when `parse` refuses it, and a kept member is the tree `parse` gives.
    ///
    /// Returns nil when the top level is not an object, or when this reader is not sure its
    /// duplicate check is `parse`'s: a key with escapes or non-ASCII bytes (Strings compare
    /// those after decoding and Unicode normalisation, this reader compares bytes) or an object
    /// of more than `linearKeyLimit` keys (the check is a linear scan). Parse the tree then.
    public static func members(of bytes: UnsafeRawBufferPointer, keeping wanted: [String]) throws -> [String: CanonicalJSON]? {
        var reader = SelectiveObjectReader(bytes, keeping: wanted)
        do throws(JSONSyntaxError) { return try reader.read() } catch { throw error }
    }

    /// Objects with more keys than this go to the tree parser (a hostile one must not cost n²).
    static let linearKeyLimit = 64
}

/// The walk behind `CanonicalJSONParser.members`. Keys of the open objects sit on one
/// stack of spans (an object's keys are contiguous; a nested object's are dropped when it
/// closes), so the walk allocates only the stack and the kept members.
private struct SelectiveObjectReader {
    private var scanner: JSONScanner
    private let wanted: [[UInt8]]
    private var keys: [Range<Int>] = []
    private let scratch = ScratchBuffer(capacity: 256)
    /// Set when the walk meets something only the tree parser judges exactly.
    private var unsure = false

    init(_ bytes: UnsafeRawBufferPointer, keeping wanted: [String]) {
        scanner = JSONScanner(bytes)
        self.wanted = wanted.map { Array($0.utf8) }
        keys.reserveCapacity(128)
    }

    mutating func read() throws(JSONSyntaxError) -> [String: CanonicalJSON]? {
        guard try scanner.peekKind() == .object else { return nil }
        try scanner.beginObject()
        var kept: [String: CanonicalJSON] = [:]
        var first = true
        var count = 0
        while let span = try scanner.nextMember(&first) {
            guard try noteKey(span, objectStart: 0, count: &count) else { return nil }
            if let index = wantedIndex(span.range) {
                kept[String(decoding: wanted[index], as: UTF8.self)] = try JSONTreeParser.value(
                    &scanner, scratch, depth: 1, decimalsAsText: false)
            } else {
                try skip(depth: 1)
                if unsure { return nil }
            }
        }
        try scanner.expectEnd()
        return kept
    }

    /// Records a key of the object whose keys start at `objectStart` on the stack; false
    /// when unsure (see `CanonicalJSONParser.members`). Throws on a duplicate, as `parse` does.
    private mutating func noteKey(_ span: JSONStringSpan, objectStart: Int, count: inout Int) throws(JSONSyntaxError) -> Bool {
        count += 1
        if span.hasEscapes || count > CanonicalJSONParser.linearKeyLimit { return false }
        let key = scanner.bytes(span.range)
        if key.contains(where: { $0 >= 0x80 }) { return false }
        for earlier in keys[objectStart...] where earlier.count == key.count {
            if scanner.bytes(earlier).elementsEqual(key) {
                throw scanner.fail("duplicate key \"\(String(decoding: key, as: UTF8.self))\"", at: span.range.lowerBound - 1)
            }
        }
        keys.append(span.range)
        return true
    }

    private func wantedIndex(_ range: Range<Int>) -> Int? {
        let key = scanner.bytes(range)
        return wanted.firstIndex { $0.count == key.count && $0.elementsEqual(key) }
    }

    /// Checks one value as `JSONTreeParser.value` would, without building it.
    private mutating func skip(depth: Int) throws(JSONSyntaxError) {
        guard depth < 64 else { throw scanner.fail("nesting deeper than 64") }
        switch try scanner.peekKind() {
        case .null: try scanner.readNull()
        case .bool: _ = try scanner.readBool()
        case .string: _ = try scanner.readString()
        case .number:
            let start = scanner.position
            let span = try scanner.readNumber()
            guard span.isInteger, Int64(String(decoding: scanner.bytes(span.range), as: UTF8.self)) != nil else {
                throw scanner.fail("the number is not an integer that fits 64 bits (decimals are written as strings)", at: start)
            }
        case .array:
            try scanner.beginArray()
            var first = true
            while try scanner.nextElement(&first) {
                try skip(depth: depth + 1)
                if unsure { return }
            }
        case .object:
            try scanner.beginObject()
            let objectStart = keys.count
            defer { keys.removeSubrange(objectStart...) }
            var first = true
            var count = 0
            while let span = try scanner.nextMember(&first) {
                guard try noteKey(span, objectStart: objectStart, count: &count) else { unsure = true; return }
                try skip(depth: depth + 1)
                if unsure { return }
            }
        }
    }
}
