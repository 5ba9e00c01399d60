/// Finds a key that appears twice in one JSON object, which RFC 8259 leaves to the
/// reader ("which value wins is arbitrary") and Tally refuses: a record whose
/// `counter_volume` says 1 to one reader and 1000 to another must not be billed.
///
/// A decoder owns one detector and hands it to its scanners, which report every
/// object they enter and leave and every key they read, at any depth (skipped values
/// included). The keys of the open objects live on a stack of 64-bit fingerprints
/// (an object's keys are contiguous: a nested object's are popped when it closes).
/// A new key is compared with its object's earlier fingerprints, a short linear scan
/// for the 10–30 keys of a Ceilometer object; an object that grows past
/// `linearLimit` keys moves to an open-addressing table, so a hostile object with
/// 100,000 keys costs one probe per key, not a scan. Equal fingerprints are confirmed
/// byte for byte. Memory is allocated only while the stacks and the table grow to
/// the largest record seen. Not thread-safe.
final class DuplicateKeyDetector {
    static let linearLimit = 32

    private struct KeyRef {
        var start: Int
        var length: Int
        var hasEscapes: Bool
    }

    private struct Frame {
        var start: Int  // of its keys on the stack
        /// `start + linearLimit`: a key pushed at `top` below it is in the linear regime,
        /// and the stack has room for it (`enterObject` grows the stack to make sure).
        var limit: Int
        var serial: UInt32
        var hashed: Bool  // its keys (beyond the linear limit) are in the table
        /// One bit per key, chosen by its fingerprint: a key whose bit is clear is new
        /// without a scan, which is most keys of most objects. 128 bits, not 64: the
        /// 25 keys of Nova's metadata found a set bit about 4.5 times per object with
        /// 64 (each a call and a scan), about half that with 128. (256 bits halved the
        /// slow path again but cost more than it saved: the four-way choice of word kept
        /// `note` from being inlined, callgrind, 7 Dec 2026.)
        var seen: (UInt64, UInt64) = (0, 0)

        /// Sets the key's bit; returns whether it was set already.
        @inline(__always)
        mutating func testAndSet(_ fingerprint: UInt64) -> Bool {
            let bit: UInt64 = 1 << (fingerprint >> 57 & 63)
            if fingerprint >> 63 == 0 {
                defer { seen.0 |= bit }
                return seen.0 & bit != 0
            }
            defer { seen.1 |= bit }
            return seen.1 & bit != 0
        }
    }

    private struct Slot {
        var stamp: UInt32 = 0
        var object: UInt32 = 0
        var key: Int = 0
        var fingerprint: UInt64 = 0
    }

    @exclusivity(unchecked) private var fingerprints: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var refs: UnsafeMutablePointer<KeyRef>
    @exclusivity(unchecked) private var stackCapacity: Int
    @exclusivity(unchecked) private var top = 0
    /// The open objects, innermost last (a plain buffer: no copy-on-write checks per key).
    @exclusivity(unchecked) private var frames: UnsafeMutablePointer<Frame>
    @exclusivity(unchecked) private var frameCount = 0
    @exclusivity(unchecked) private var frameCapacity = 64
    @exclusivity(unchecked) private var lastSerial: UInt32 = 0
    @exclusivity(unchecked) private var table: UnsafeMutablePointer<Slot>
    @exclusivity(unchecked) private var tableCapacity: Int
    @exclusivity(unchecked) private var tableUsed = 0
    @exclusivity(unchecked) private var stamp: UInt32 = 1
    /// Unescaping buffers: for the key at hand and for the earlier key it is compared to,
    /// each with a buffer for the first of two unescapings (JSON read in place).
    private let current = ScratchBuffer(capacity: 256), currentOuter = ScratchBuffer(capacity: 256)
    private let earlier = ScratchBuffer(capacity: 256), earlierOuter = ScratchBuffer(capacity: 256)

    init() {
        stackCapacity = 256
        fingerprints = .allocate(capacity: stackCapacity)
        refs = .allocate(capacity: stackCapacity)
        tableCapacity = 256
        table = .allocate(capacity: tableCapacity)
        table.initialize(repeating: Slot(), count: tableCapacity)
        frames = .allocate(capacity: frameCapacity)
    }

    deinit {
        fingerprints.deallocate()
        refs.deallocate()
        table.deallocate()
        frames.deallocate()
    }

    /// Forgets everything: called at the start of each record.
    func reset() {
        top = 0
        frameCount = 0
        lastSerial = 0
        guard tableUsed > 0 else { return }
        tableUsed = 0
        stamp &+= 1
        if stamp == 0 {  // wrapped: old stamps could match again
            table.update(repeating: Slot(), count: tableCapacity)
            stamp = 1
        }
    }

    /// How many objects are open; with `unwind(to:)`, lets a reader abandon a
    /// speculative parse (the in-place `oslo.message` read) without confusing the rest.
    var depth: Int { frameCount }

    func unwind(to depth: Int) {
        guard frameCount > depth else { return }
        top = frames[depth].start
        frameCount = depth
    }

    @inline(__always)
    func enterObject() {
        lastSerial &+= 1
        if frameCount == frameCapacity { growFrames() }
        if top + Self.linearLimit >= stackCapacity { growStack() }
        (frames + frameCount).initialize(to: Frame(start: top, limit: top + Self.linearLimit, serial: lastSerial, hashed: false))
        frameCount += 1
    }

    @inline(__always)
    func leaveObject() {
        guard frameCount > 0 else { return }
        frameCount -= 1
        top = frames[frameCount].start
    }

    /// Records `key` as a member of the innermost open object; throws if it has it already.
    /// The common case (a raw key among its object's first `linearLimit`, whose bit in the
    /// object's mask is clear) is a few loads and stores; everything else is in
    /// `noteSlowly`. One compare with the frame's `limit` covers both the object's size
    /// (an object is hashed only past it) and the stack's room.
    @inline(__always)
    func note(_ key: JSONStringSpan, in scanner: JSONScanner) throws(JSONSyntaxError) {
        let f = frameCount - 1
        guard f >= 0 else { return }
        if key.hasEscapes || top >= frames[f].limit {
            return try noteSlowly(key, in: scanner)
        }
        let fingerprint = Self.fingerprint(scanner.bytes(key.range))
        if frames[f].testAndSet(fingerprint) {
            return try noteSlowly(key, in: scanner, raw: (fingerprint, true))
        }
        push(fingerprint, key)
    }

    @inline(__always)
    private func push(_ fingerprint: UInt64, _ key: JSONStringSpan) {
        fingerprints[top] = fingerprint
        refs[top] = KeyRef(start: key.range.lowerBound, length: key.range.count, hasEscapes: key.hasEscapes)
        top += 1
    }

    /// `raw`: for a raw key whose bit `note` has already tested and set, its fingerprint
    /// and whether the bit was set before.
    @inline(never)
    private func noteSlowly(_ key: JSONStringSpan, in scanner: JSONScanner,
                            raw: (fingerprint: UInt64, bitWasSet: Bool)? = nil) throws(JSONSyntaxError) {
        let text = key.hasEscapes ? self.text(key.range, true, scanner, current, currentOuter) : scanner.bytes(key.range)
        let fingerprint = raw?.fingerprint ?? Self.fingerprint(text)
        let f = frameCount - 1
        if frames[f].hashed {
            try probe(fingerprint, text, key, object: frames[f].serial, insertingAt: top, scanner)
        } else {
            if raw?.bitWasSet ?? frames[f].testAndSet(fingerprint) {
                for j in frames[f].start..<top where fingerprints[j] == fingerprint {
                    try confirm(j, text, key, scanner)
                }
            }
            if top - frames[f].start >= Self.linearLimit {
                frames[f].hashed = true
                for j in frames[f].start..<top {
                    try probe(fingerprints[j], nil, key, object: frames[f].serial, insertingAt: j, scanner)
                }
                try probe(fingerprint, nil, key, object: frames[f].serial, insertingAt: top, scanner)
            }
        }
        if top == stackCapacity { growStack() }
        push(fingerprint, key)
    }

    /// Throws if the key at stack index `j` has the same text.
    private func confirm(_ j: Int, _ text: UnsafeRawBufferPointer, _ key: JSONStringSpan,
                         _ scanner: JSONScanner) throws(JSONSyntaxError) {
        let e = refs[j]
        let other = self.text(e.start..<(e.start + e.length), e.hasEscapes, scanner, earlier, earlierOuter)
        guard other.count == text.count, text.count == 0 || bytesEqual(other.baseAddress!, text.baseAddress!, text.count) else {
            return
        }
        let name = String(decoding: text.prefix(80), as: UTF8.self)
        throw scanner.fail("duplicate key '\(name)' in an object", at: key.range.lowerBound - (scanner.quoteIsEscaped ? 2 : 1))
    }

    /// Looks the fingerprint up among the object's hashed keys (confirming a match when
    /// `text` is given) and inserts stack index `index` for it.
    private func probe(_ fingerprint: UInt64, _ text: UnsafeRawBufferPointer?, _ key: JSONStringSpan, object: UInt32,
                       insertingAt index: Int, _ scanner: JSONScanner) throws(JSONSyntaxError) {
        if (tableUsed + 1) * 2 > tableCapacity { growTable() }
        let mask = tableCapacity - 1
        var i = Int(truncatingIfNeeded: fingerprint ^ fingerprint >> 32) & mask
        while table[i].stamp == stamp {
            if let text, table[i].object == object, table[i].fingerprint == fingerprint {
                try confirm(table[i].key, text, key, scanner)
            }
            i = (i + 1) & mask
        }
        table[i] = Slot(stamp: stamp, object: object, key: index, fingerprint: fingerprint)
        tableUsed += 1
    }

    private func text(_ range: Range<Int>, _ hasEscapes: Bool, _ scanner: JSONScanner,
                      _ scratch: ScratchBuffer, _ outer: ScratchBuffer) -> UnsafeRawBufferPointer {
        let raw = scanner.bytes(range)
        guard hasEscapes else { return raw }
        guard scanner.quoteIsEscaped else { return JSONUnescaper.unescape(raw, into: scratch) }
        return JSONUnescaper.unescape(JSONUnescaper.unescape(raw, into: outer), into: scratch)
    }

    /// A 64-bit fingerprint of a key's text from its length and its first and last eight
    /// (or four) bytes (`KeyWords`: two loads, a loop only below four bytes); equal
    /// fingerprints are confirmed byte for byte, so a collision costs a comparison, never
    /// a wrong verdict. Two multiplies: the seen mask takes the top bits, which a multiply
    /// mixes from every bit of its operand, so no finalising rounds are needed.
    @inline(__always)
    private static func fingerprint(_ text: UnsafeRawBufferPointer) -> UInt64 {
        let words = KeyWords(text)
        return (words.head &+ UInt64(text.count)) &* 0xC2B2_AE3D_27D4_EB4F
            ^ (words.tail &+ 0x1656_67B1_9E37_79F9) &* 0x9FB2_1C65_1E98_DF25
    }

    private func growFrames() {
        let grown = UnsafeMutablePointer<Frame>.allocate(capacity: frameCapacity * 2)
        grown.moveInitialize(from: frames, count: frameCount)
        frames.deallocate()
        frames = grown
        frameCapacity *= 2
    }

    private func growStack() {
        let grown = stackCapacity * 2
        let f = UnsafeMutablePointer<UInt64>.allocate(capacity: grown)
        f.moveInitialize(from: fingerprints, count: top)
        fingerprints.deallocate()
        fingerprints = f
        let r = UnsafeMutablePointer<KeyRef>.allocate(capacity: grown)
        r.moveInitialize(from: refs, count: top)
        refs.deallocate()
        refs = r
        stackCapacity = grown
    }

    /// Doubles the table, keeping this record's entries.
    private func growTable() {
        let oldTable = table, oldCapacity = tableCapacity
        tableCapacity *= 2
        table = .allocate(capacity: tableCapacity)
        table.initialize(repeating: Slot(), count: tableCapacity)
        for j in 0..<oldCapacity where oldTable[j].stamp == stamp {
            let f = oldTable[j].fingerprint
            var i = Int(truncatingIfNeeded: f ^ f >> 32) & (tableCapacity - 1)
            while table[i].stamp == stamp { i = (i + 1) & (tableCapacity - 1) }
            table[i] = oldTable[j]
        }
        oldTable.deallocate()
    }
}
