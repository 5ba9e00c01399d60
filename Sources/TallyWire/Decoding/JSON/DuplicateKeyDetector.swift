/// Finds a key that appears twice in one JSON object, which RFC 8259 leaves to the
/// reader ("which value wins is arbitrary") and Tally refuses: a record whose
/// `counter_volume` says 1 to one reader and 1000 to another must not be billed.
///
/// A decoder owns one detector and hands it to its scanners, which report every
/// object they enter and leave and every key they read, at any depth (skipped values
/// included). Keys are kept in an open-addressing table tagged with the object they
/// belong to and stamped with the record, so a check costs one hash and one probe,
/// nothing is cleared between records, and memory is allocated only while the table
/// grows to the largest record seen. Not thread-safe.
final class DuplicateKeyDetector {
    private struct Entry {
        var stamp: UInt32 = 0
        var object: UInt32 = 0
        var hash: UInt64 = 0
        var start: Int = 0
        var length: Int = 0
        var hasEscapes = false
    }

    @exclusivity(unchecked) private var table: UnsafeMutablePointer<Entry>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var used = 0
    @exclusivity(unchecked) private var stamp: UInt32 = 1
    /// The objects being read, innermost last; each has a serial unique in the record.
    @exclusivity(unchecked) private var objects: [UInt32] = []
    @exclusivity(unchecked) private var lastObject: UInt32 = 0
    /// Unescaping buffers: for the key at hand and for the earlier key it is compared to,
    /// each with a buffer for the first of two unescapings (JSON read in place).
    private let current = ScratchBuffer(capacity: 256), currentOuter = ScratchBuffer(capacity: 256)
    private let earlier = ScratchBuffer(capacity: 256), earlierOuter = ScratchBuffer(capacity: 256)

    init(capacity: Int = 1024) {
        self.capacity = capacity
        table = .allocate(capacity: capacity)
        table.initialize(repeating: Entry(), count: capacity)
        objects.reserveCapacity(64)
    }

    deinit { table.deallocate() }

    /// Forgets everything: called at the start of each record.
    func reset() {
        stamp &+= 1
        if stamp == 0 {  // wrapped: old stamps could match again
            table.update(repeating: Entry(), count: capacity)
            stamp = 1
        }
        used = 0
        objects.removeAll(keepingCapacity: true)
        lastObject = 0
    }

    /// How many objects are open; with `unwind(to:)`, lets a reader abandon a
    /// speculative parse (the in-place `oslo.message` read) without confusing the rest.
    var depth: Int { objects.count }

    func unwind(to depth: Int) {
        if objects.count > depth { objects.removeLast(objects.count - depth) }
    }

    @inline(__always)
    func enterObject() {
        lastObject &+= 1
        objects.append(lastObject)
    }

    @inline(__always)
    func leaveObject() {
        if !objects.isEmpty { objects.removeLast() }
    }

    /// Records `key` as a member of the innermost open object; throws if it has it already.
    @inline(__always)
    func note(_ key: JSONStringSpan, in scanner: JSONScanner) throws(JSONSyntaxError) {
        guard let object = objects.last else { return }
        if used * 2 >= capacity { grow() }
        let text = self.text(key.range, key.hasEscapes, scanner, current, currentOuter)
        let hash = Self.hash(text)
        var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while table[i].stamp == stamp {
            let e = table[i]
            if e.object == object, e.hash == hash {
                let other = self.text(e.start..<(e.start + e.length), e.hasEscapes, scanner, earlier, earlierOuter)
                if other.count == text.count, text.count == 0 || bytesEqual(other.baseAddress!, text.baseAddress!, text.count) {
                    let name = String(decoding: text.prefix(80), as: UTF8.self)
                    throw scanner.fail("duplicate key '\(name)' in an object", at: key.range.lowerBound - (scanner.quoteIsEscaped ? 2 : 1))
                }
            }
            i = (i + 1) & (capacity - 1)
        }
        table[i] = Entry(stamp: stamp, object: object, hash: hash, start: key.range.lowerBound,
                         length: key.range.count, hasEscapes: key.hasEscapes)
        used += 1
    }

    private func text(_ range: Range<Int>, _ hasEscapes: Bool, _ scanner: JSONScanner,
                      _ scratch: ScratchBuffer, _ outer: ScratchBuffer) -> UnsafeRawBufferPointer {
        let raw = scanner.bytes(range)
        guard hasEscapes else { return raw }
        guard scanner.quoteIsEscaped else { return JSONUnescaper.unescape(raw, into: scratch) }
        return JSONUnescaper.unescape(JSONUnescaper.unescape(raw, into: outer), into: scratch)
    }

    /// FNV-1a: keys are short, and a collision only costs a byte comparison.
    @inline(__always)
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// Doubles the table, keeping this record's entries.
    private func grow() {
        let oldTable = table, oldCapacity = capacity
        capacity *= 2
        table = .allocate(capacity: capacity)
        table.initialize(repeating: Entry(), count: capacity)
        for j in 0..<oldCapacity where oldTable[j].stamp == stamp {
            var i = Int(truncatingIfNeeded: oldTable[j].hash) & (capacity - 1)
            while table[i].stamp == stamp { i = (i + 1) & (capacity - 1) }
            table[i] = oldTable[j]
        }
        oldTable.deallocate()
    }
}
