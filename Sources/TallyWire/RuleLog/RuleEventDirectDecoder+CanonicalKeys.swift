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
    /// `,"name":`, one after the other (an object's first member drops the comma).
    struct KeyLiterals {
        let names: [StaticString]
        let bytes: [UInt8]
        /// Literal `i` is `bytes[starts[i]..<starts[i + 1]]`.
        let starts: [Int]

        init(_ names: [StaticString]) {
            self.names = names
            var bytes: [UInt8] = [], starts = [0]
            for name in names {
                bytes.append(UInt8(ascii: ","))
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
                bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
                starts.append(bytes.count)
            }
            self.bytes = bytes
            self.starts = starts
        }
    }
}

extension RuleEventDirectDecoder.Reader {
    /// The next key's index in `keys` and where its member starts (the comma before it; the
    /// `{` for an object's first member); nil at the object's end.
    mutating func nextKeyIndex(_ first: inout Bool, _ keys: RuleEventDirectDecoder.KeyLiterals,
                               from expected: Int) throws(RuleEventDirectDecoder.Unhandled) -> (index: Int, memberStart: Int)? {
        let skip = first ? 1 : 0
        let before = scanner.position
        if let index = canonicalKey(keys, from: expected, first: first) {
            first = false
            return (index, before - skip)
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
    private mutating func canonicalKey(_ keys: RuleEventDirectDecoder.KeyLiterals, from expected: Int,
                                       first: Bool) -> Int? {
        let position = scanner.position
        guard position < scanner.count,
              scanner.base[position] == (first ? UInt8(ascii: "\"") : UInt8(ascii: ",")) else { return nil }
        let skip = first ? 1 : 0
        return keys.bytes.withUnsafeBytes { literals -> Int? in
            var i = expected
            while i < keys.names.count {
                let start = keys.starts[i] + skip, end = keys.starts[i + 1]
                let after = position + (end - start)
                if after < scanner.count
                    && RuleEventDirectDecoder.equal(scanner.bytes(position..<after),
                                                    UnsafeRawBufferPointer(rebasing: literals[start..<end]))
                    && !isJSONWhitespace(scanner.base[after]) {
                    scanner.position = after
                    return i
                }
                i += 1
            }
            return nil
        }
    }
}
