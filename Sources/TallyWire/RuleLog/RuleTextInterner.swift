/// The names a rule log repeats in nearly every event (services, fields, groups, tenants,
/// reasons, authors), each made a `String` once: equal bytes give back the same `String`
/// instead of a new one. `String(decoding:)` cost ~230 instructions per short name on the
/// rule log's decode thread (UTF-8 validation, then building the string), a lookup here ~40;
/// a long name is one retain instead of an allocation and a copy. Texts that differ per
/// event (ids, hashes, values) do not come here.
///
/// One per decode thread, never shared (not `Sendable`); the strings it hands out are
/// ordinary immutable values. It holds at most `maxEntries` texts of at most `maxLength`
/// bytes; once full it only answers what it holds and makes new strings for the rest, so a
/// log of ever-new reasons costs a bounded table and a failed probe each. A text equals
/// `String(decoding: bytes, as: UTF8.self)` always (RuleTextInternerTests, colliding hashes
/// included).
final class RuleTextInterner {
    static let slotCount = 4096
    static let maxEntries = slotCount / 2
    static let maxLength = 128

    /// A held text: its hash with the low bit set (0: an empty slot), its first sixteen
    /// bytes as two little-endian words (zeros beyond its length) and its length, so that a
    /// text of up to sixteen bytes is told apart by three word compares, a longer one then
    /// byte for byte.
    private struct Slot {
        var hash: UInt64 = 0
        var w0: UInt64 = 0, w1: UInt64 = 0
        var length = 0
        var text = ""
    }

    /// The slots, behind a pointer allocated once: arrays held by a class are checked for
    /// exclusive access at every read (`swift_beginAccess`), which cost more than the lookup.
    private let slots: UnsafeMutablePointer<Slot>
    /// How many slots hold a text (behind a pointer for the same reason).
    private let held: UnsafeMutablePointer<Int>
    /// Bits of the hash kept: all of them, except in tests, which make texts collide.
    private let hashMask: UInt64

    init(hashMask: UInt64 = .max) {
        self.hashMask = hashMask
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: Slot(), count: Self.slotCount)
        held = .allocate(capacity: 1)
        held.initialize(to: 0)
    }

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
        held.deallocate()
    }

    /// How many texts it holds.
    var count: Int { held.pointee }

    /// The `String` of `bytes` (UTF-8 the scanner has read: no escapes), the one held when
    /// these bytes were seen before.
    func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let n = bytes.count
        guard n > 0, n <= Self.maxLength else { return RuleEventDirectDecoder.text(bytes) }
        let (w0, w1) = Self.firstWords(bytes)
        let hash = Self.hash(w0, w1, bytes) & hashMask | 1
        let mask = Self.slotCount - 1
        var index = Int(truncatingIfNeeded: hash >> 20) & mask
        while true {
            let slot = slots + index
            if slot.pointee.hash == 0 { break }
            if slot.pointee.hash == hash && slot.pointee.length == n && slot.pointee.w0 == w0 && slot.pointee.w1 == w1
                && (n <= 16 || RuleEventDirectDecoder.spells(bytes, slot.pointee.text)) {
                return slot.pointee.text
            }
            index = (index + 1) & mask
        }
        let text = RuleEventDirectDecoder.text(bytes)
        if held.pointee < Self.maxEntries {
            slots[index] = Slot(hash: hash, w0: w0, w1: w1, length: n, text: text)
            held.pointee += 1
        }
        return text
    }

    /// The first sixteen bytes as two little-endian words, zeros beyond the text. Loaded
    /// whole, never past the text: from eight bytes on, a short tail is the word ending at
    /// the text's end shifted down (the bytes it shares with the word before drop out);
    /// from four, two overlapping four-byte loads; below, three single bytes (the middle
    /// one doubling the first or the last). Copying the prefix (`prefix(16)`, `memcpy`)
    /// cost more than the lookup around it. RuleTextInternerTests holds it to the copy.
    @inline(__always)
    static func firstWords(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let n = bytes.count
        guard n > 0, let p = bytes.baseAddress else { return (0, 0) }
        @inline(__always) func word(_ i: Int) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
        if n >= 16 { return (word(0), word(8)) }
        if n > 8 { return (word(0), word(n &- 8) >> (8 &* UInt64(truncatingIfNeeded: 16 &- n))) }
        if n == 8 { return (word(0), 0) }
        if n >= 4 {
            let low = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)))
            return (low | high << (8 &* UInt64(truncatingIfNeeded: n &- 4)), 0)
        }
        let first = UInt64(p.load(as: UInt8.self))
        let middle = UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self))
        let last = UInt64(p.load(fromByteOffset: n &- 1, as: UInt8.self))
        return (first | middle << (8 &* UInt64(truncatingIfNeeded: n >> 1)) | last << (8 &* UInt64(truncatingIfNeeded: n &- 1)), 0)
    }

    /// `firstWords` the plain way (copying the prefix into zeroed words): the reference
    /// the tests hold it to.
    static func firstWordsByCopy(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var pair: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &pair) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(16)))
        }
        return (UInt64(littleEndian: pair.0), UInt64(littleEndian: pair.1))
    }

    /// A multiply-mix of the first words, the length and, beyond sixteen bytes, the rest a
    /// word at a time (the last one zero-padded: loaded as the word ending at the text's
    /// end, shifted down). Not flood-resistant: the texts come from authenticated rule
    /// writers, and the table is bounded.
    @inline(__always)
    private static func hash(_ w0: UInt64, _ w1: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = (w0 &* k) ^ (w1 &+ UInt64(bytes.count)) &* 0xBF58_476D_1CE4_E5B9
        let n = bytes.count
        if n > 16, let p = bytes.baseAddress {
            var i = 16
            while i &+ 8 <= n {
                h = (h ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* k
                i &+= 8
            }
            if i < n {
                let tail = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
                    >> (8 &* UInt64(truncatingIfNeeded: 8 &- (n &- i)))
                h = (h ^ tail) &* k
            }
        }
        return h ^ (h >> 29)
    }
}
