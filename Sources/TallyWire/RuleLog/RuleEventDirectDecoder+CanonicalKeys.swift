import TallyCore

/// Keys read by their canonical spelling. A stored event is nearly always the canonical
/// encoding, whose keys come in the names' order with no whitespace, so the next key is
/// usually `,"name":` for the name after the last one found. Comparing those bytes steps
/// over the key without scanning it as a JSON string and matching it against the list
/// (the scanner's `nextMember` and `match` were ~13% of the decode thread's instructions).
/// Only an exact match takes this path; anything else (another order, whitespace, the
/// object's end, escapes) is read by `nextKey` as before, so every event decodes, and is
/// judged canonical or not, exactly as it was. RuleEventDirectDecoderTests and
/// RuleEventContentHashTests hold both paths to their references on re-spaced and
/// reordered bytes.
extension RuleEventDirectDecoder {
    /// A key list's names as the canonical encoding writes them between members,
    /// `,"name":` (an object's first member drops the comma), each held as three
    /// little-endian words and their masks, so that a try is three loads and compares.
    struct KeyLiterals {
        static let width = 24
        let names: [StaticString]
        /// Per name, for a later member then for the first: `words`, `masks`, the length
        /// (`stride` words). Behind a pointer, allocated once and never freed (the lists
        /// are static): an array's reads were bounds- and overflow-checked at every try.
        let packed: UnsafePointer<UInt64>
        let count: Int
        static let stride = 14

        init(_ names: [StaticString]) {
            self.names = names
            count = names.count
            var packed: [UInt64] = []
            for name in names {
                let quoted = [UInt8(ascii: "\"")] + UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
                    + [UInt8(ascii: "\""), UInt8(ascii: ":")]
                for literal in [[UInt8(ascii: ",")] + quoted, quoted] {
                    precondition(literal.count <= Self.width, "a key literal longer than \(Self.width) bytes")
                    var words = [UInt64](repeating: 0, count: 3), masks = [UInt64](repeating: 0, count: 3)
                    for (i, byte) in literal.enumerated() {
                        words[i / 8] |= UInt64(byte) << (8 * UInt64(i % 8))
                        masks[i / 8] |= 0xFF << (8 * UInt64(i % 8))
                    }
                    packed += words + masks + [UInt64(literal.count)]
                }
            }
            let table = UnsafeMutablePointer<UInt64>.allocate(capacity: packed.count)
            table.initialize(from: packed, count: packed.count)
            self.packed = UnsafePointer(table)
        }
    }
}

extension RuleEventDirectDecoder.Reader {
    /// The next key's index in `keys` and where its member starts (the comma before it; the
    /// `{` for an object's first member); nil at the object's end. Inlined into the two key
    /// loops (nearly twenty calls an event).
    @inline(__always)
    mutating func nextKeyIndex(_ first: inout Bool, _ keys: RuleEventDirectDecoder.KeyLiterals,
                               from expected: Int) throws(RuleEventDirectDecoder.Unhandled) -> (index: Int, memberStart: Int)? {
        let skip = first ? 1 : 0
        let before = scanner.position
        if let index = canonicalKey(keys, from: expected, first: first) {
            first = false
            return (index, before - skip)
        }
        // The object's end, right here: what `nextKey` would do (its scanner step reads the
        // `}` at once, and `}` is not whitespace, so the canonical form stands), without
        // its calls. Once per object, twice per event.
        if before < scanner.count && scanner.base[before] == UInt8(ascii: "}") {
            scanner.position = before + 1
            scanner.keys?.leaveObject()
            return nil
        }
        guard let key = try nextKey(&first) else { return nil }
        guard let index = Self.match(key, keys.names, from: expected) else { throw RuleEventDirectDecoder.Unhandled() }
        return (index, UnsafeRawPointer(scanner.base).distance(to: key.baseAddress!) - 2)
    }

    /// The index of the name, from `expected` on, whose canonical spelling the bytes hold
    /// here, followed by a byte that is not whitespace (the value); the scanner is then at
    /// that value. nil, the scanner unmoved, otherwise. A match says what `nextKey` would:
    /// the same key (a string ends at its first unescaped quote) and the same position, with
    /// the opener, colon and spacing it checks for canonical form all as canonical bytes have
    /// them.
    @inline(__always)
    private mutating func canonicalKey(_ keys: RuleEventDirectDecoder.KeyLiterals, from expected: Int,
                                       first: Bool) -> Int? {
        let position = scanner.position
        // Three words are read from here: near the end of the bytes, the general path.
        guard position + RuleEventDirectDecoder.KeyLiterals.width < scanner.count,
              scanner.base[position] == (first ? UInt8(ascii: "\"") : UInt8(ascii: ",")) else { return nil }
        let here = UnsafeRawPointer(scanner.base + position)
        let b0 = here.loadUnaligned(as: UInt64.self).littleEndian
        let b1 = here.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        let b2 = here.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian
        let stride = RuleEventDirectDecoder.KeyLiterals.stride
        // `expected` is at most the count (one past the last name found), so nothing below
        // reads past the table.
        var entry = keys.packed + (expected &* stride &+ (first ? stride / 2 : 0))
        var i = expected
        while i < keys.count {
            if (b0 ^ entry[0]) & entry[3] | (b1 ^ entry[1]) & entry[4] | (b2 ^ entry[2]) & entry[5] == 0 {
                let after = position &+ Int(truncatingIfNeeded: entry[6])
                guard !isJSONWhitespace(scanner.base[after]) else { return nil }
                scanner.position = after
                return i
            }
            entry += stride
            i &+= 1
        }
        return nil
    }
}
