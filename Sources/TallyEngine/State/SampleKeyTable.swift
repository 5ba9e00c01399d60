import TallyCore
import CTallySIMD

/// An open-addressing hash table from `SampleKey` to `Value`, for the dedupe index.
///
/// Sample ids and content keys are already well-mixed 128-bit values, so the probe index
/// is a multiply of their two words, not a `Hasher` (SipHash) run per probe as a
/// `Dictionary` does: the dedupe index probes two tables for every sample it folds. Linear
/// probing, grown at a load of 3/4 (as `Dictionary`), backward-shift deletion (no
/// tombstones). The all-zero key, which marks an empty slot, is kept beside the slots.
struct SampleKeyTable<Value> {
    /// A key and its value side by side, so that a probe and the write of its value touch one
    /// cache line: the tables outgrow the caches (a million keys in `tally-bench fold`), and
    /// with keys and values in two arrays a new id cost two misses, the probe and the value.
    /// A free slot holds the all-zero key and `filler` (occupancy is the key's, so no optional).
    private struct Slot {
        var key: SampleKey
        var value: Value
    }

    private var slots: [Slot]
    private let filler: Value
    private var mask: Int
    /// 64 − log2(slot count).
    private var shift: UInt64 = 60
    private var zeroValue: Value?
    private(set) var count = 0
    /// Inserts and removals so far (wrapping), which a `Probe` is checked against.
    private var changes: UInt32 = 0

    init(filler: Value) {
        self.filler = filler
        slots = Array(repeating: Slot(key: SampleKeyTable.empty, value: filler), count: 16)
        mask = 15
    }

    private static var empty: SampleKey { SampleKey(high: 0, low: 0) }

    /// The top bits of a multiply (Fibonacci hashing): they depend on every bit of both
    /// words, so keys alike in their low bits still spread.
    @inline(__always)
    private func home(_ key: SampleKey) -> Int {
        let h = (key.high ^ (key.low &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> shift)
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: SampleKey) -> (slot: Int, found: Bool) {
        var i = home(key)
        while true {
            let k = slots[i].key
            if k == key { return (i, true) }
            if k.high == 0 && k.low == 0 { return (i, false) }
            i = (i &+ 1) & mask
        }
    }

    subscript(key: SampleKey) -> Value? {
        if key == SampleKeyTable.empty { return zeroValue }
        let (slot, found) = find(key)
        return found ? slots[slot].value : nil
    }

    func contains(_ key: SampleKey) -> Bool {
        if key == SampleKeyTable.empty { return zeroValue != nil }
        return find(key).found
    }

    /// Where a probe for a key ended: the slot holding it, or the free slot it would go in
    /// (`zeroKeySlot` for the all-zero key, held beside the slots). It stays valid while the
    /// table does not change, so the dedupe index looks a key up and, if the sample is folded,
    /// inserts it where the lookup stopped: one probe a key, not two.
    struct Probe {
        fileprivate let slot: Int
        /// The table's change count when probed: any insert or removal since may have moved keys.
        fileprivate let stamp: UInt32
        let found: Bool
    }

    private static var zeroKeySlot: Int { -1 }

    /// Starts loading the cache line of `key`'s home slot, where its probe begins (a hint: it
    /// changes nothing). Once the table outgrows the caches that line is a miss to memory; asked
    /// for early, it arrives while the caller does other work.
    @inline(__always)
    func prefetch(_ key: SampleKey) {
        let i = home(key)
        slots.withUnsafeBufferPointer { tally_prefetch(UnsafeRawPointer($0.baseAddress! + i)) }
    }

    /// One probe for `key`: whether it is held, and where it is or would go.
    @inline(__always)
    func probe(_ key: SampleKey) -> Probe {
        if key == SampleKeyTable.empty { return Probe(slot: SampleKeyTable.zeroKeySlot, stamp: changes, found: zeroValue != nil) }
        let (slot, found) = find(key)
        return Probe(slot: slot, stamp: changes, found: found)
    }

    /// The value of the key `probe` found.
    func value(at probe: Probe) -> Value {
        precondition(probe.found && probe.stamp == changes, "a stale or missed probe")
        return probe.slot == SampleKeyTable.zeroKeySlot ? zeroValue! : slots[probe.slot].value
    }

    /// Adds `key`, which `probe` did not find, with `value` where the probe stopped. The table
    /// must not have changed since the probe (checked with a count of changes, so a misuse
    /// traps rather than losing a key).
    mutating func insert(_ key: SampleKey, _ value: Value, at probe: Probe) {
        precondition(!probe.found && probe.stamp == changes, "a stale or found probe")
        changes &+= 1
        if probe.slot == SampleKeyTable.zeroKeySlot {
            precondition(key == SampleKeyTable.empty, "a probe for another key")
            zeroValue = value; count += 1
            return
        }
        precondition(key != SampleKeyTable.empty, "a probe for another key")
        slots[probe.slot] = Slot(key: key, value: value)
        count += 1
        if count * 4 > (mask + 1) * 3 { grow() }
    }

    /// Adds `key` with `value` unless it is present; returns whether it was added (an
    /// existing entry keeps its value).
    @discardableResult
    mutating func insertIfAbsent(_ key: SampleKey, _ value: Value) -> Bool {
        if key == SampleKeyTable.empty {
            guard zeroValue == nil else { return false }
            zeroValue = value; count += 1; changes &+= 1
            return true
        }
        let (slot, found) = find(key)
        if found { return false }
        changes &+= 1
        slots[slot] = Slot(key: key, value: value)
        count += 1
        if count * 4 > (mask + 1) * 3 { grow() }
        return true
    }

    /// Sets `key` to `value`, returning the value it replaced.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: SampleKey) -> Value? {
        if key == SampleKeyTable.empty {
            let old = zeroValue
            if old == nil { count += 1; changes &+= 1 }
            zeroValue = value
            return old
        }
        let (slot, found) = find(key)
        if found {
            let old = slots[slot].value
            slots[slot].value = value
            return old
        }
        changes &+= 1
        slots[slot] = Slot(key: key, value: value)
        count += 1
        if count * 4 > (mask + 1) * 3 { grow() }
        return nil
    }

    /// Removes `key`; the entries after it in its probe run move back to close the gap.
    mutating func remove(_ key: SampleKey) {
        if key == SampleKeyTable.empty {
            if zeroValue != nil { zeroValue = nil; count -= 1; changes &+= 1 }
            return
        }
        var (hole, found) = find(key)
        guard found else { return }
        count -= 1
        changes &+= 1
        var i = hole
        while true {
            i = (i &+ 1) & mask
            let k = slots[i].key
            if k.high == 0 && k.low == 0 { break }
            // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
            let h = home(k)
            let stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i)
            if stays { continue }
            slots[hole] = slots[i]
            hole = i
        }
        slots[hole] = Slot(key: SampleKeyTable.empty, value: filler)
    }

    private mutating func grow() {
        let old = slots
        let capacity = (mask + 1) * 2
        slots = Array(repeating: Slot(key: SampleKeyTable.empty, value: filler), count: capacity)
        mask = capacity - 1
        shift -= 1
        for entry in old where !(entry.key.high == 0 && entry.key.low == 0) {
            slots[find(entry.key).slot] = entry
        }
    }
}
