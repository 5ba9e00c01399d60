import TallyCore

/// The open windows' slots by key: an open-addressing table probed once per folded sample.
///
/// A `Dictionary<WindowKey, Int>` runs SipHash over the key for every probe (~5% of the
/// engine's time in `tally-bench fold`). A window key is five small integers that are
/// already distinct (interned symbols, a start in microseconds), so a multiply of its three
/// words spreads it well enough. Linear probing, grown at a load of 3/4, backward-shift
/// deletion (no tombstones). A slot is an `Int32`, and -1 marks an empty entry, so keys
/// need no sentinel value.
struct WindowIndex {
    private var keys: [WindowKey]
    private var slots: [Int32]
    private var mask: Int
    /// 64 − log2(entry count).
    private var shift: UInt64 = 60
    private(set) var count = 0

    private static let placeholder = WindowKey(start: EventTime(micros: 0), metric: .none, scope: .none,
                                               resource: .none, group: .none)

    init() {
        keys = Array(repeating: WindowIndex.placeholder, count: 16)
        slots = Array(repeating: -1, count: 16)
        mask = 15
    }

    /// The top bits of a multiply (Fibonacci hashing) of the key's three words mixed together.
    @inline(__always)
    private func home(_ key: WindowKey) -> Int {
        let a = UInt64(bitPattern: key.start.micros)
        let b = UInt64(key.metric.raw) << 32 | UInt64(key.scope.raw)
        let c = UInt64(key.resource.raw) << 32 | UInt64(key.group.raw)
        let h = ((a &* 0xC2B2_AE3D_27D4_EB4F) ^ (b &* 0x1656_67B1_9E37_79F9) ^ c) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> shift)
    }

    @inline(__always)
    private static func same(_ a: WindowKey, _ b: WindowKey) -> Bool {
        a.start == b.start && a.resource == b.resource && a.scope == b.scope && a.metric == b.metric
            && a.group == b.group
    }

    /// The entry holding `key`, or the empty entry where it would go.
    @inline(__always)
    private func find(_ key: WindowKey) -> (entry: Int, found: Bool) {
        var i = home(key)
        while true {
            if slots[i] < 0 { return (i, false) }
            if WindowIndex.same(keys[i], key) { return (i, true) }
            i = (i &+ 1) & mask
        }
    }

    /// The slot of `key`'s window; setting nil removes the key.
    subscript(key: WindowKey) -> Int? {
        get {
            let (entry, found) = find(key)
            return found ? Int(slots[entry]) : nil
        }
        set {
            if let slot = newValue { insert(key, slot: slot) } else { remove(key) }
        }
    }

    /// The slot of the first entry, in table order, for which `matches` holds (a correction
    /// looks for its window among the open ones this way: rare, so a walk is fine).
    func firstSlot(where matches: (WindowKey, Int) -> Bool) -> Int? {
        for i in slots.indices where slots[i] >= 0 && matches(keys[i], Int(slots[i])) { return Int(slots[i]) }
        return nil
    }

    private mutating func insert(_ key: WindowKey, slot: Int) {
        precondition(slot >= 0 && slot <= Int(Int32.max), "window slot \(slot) out of range")
        let (entry, found) = find(key)
        slots[entry] = Int32(slot)
        if found { return }
        keys[entry] = key
        count += 1
        if count * 4 > (mask + 1) * 3 { grow() }
    }

    /// Removes `key`; the entries after it in its probe run move back to close the gap.
    private mutating func remove(_ key: WindowKey) {
        var (hole, found) = find(key)
        guard found else { return }
        count -= 1
        var i = hole
        while true {
            i = (i &+ 1) & mask
            if slots[i] < 0 { break }
            // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
            let h = home(keys[i])
            let stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i)
            if stays { continue }
            keys[hole] = keys[i]
            slots[hole] = slots[i]
            hole = i
        }
        slots[hole] = -1
    }

    private mutating func grow() {
        let oldKeys = keys, oldSlots = slots
        let capacity = (mask + 1) * 2
        keys = Array(repeating: WindowIndex.placeholder, count: capacity)
        slots = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        shift -= 1
        for i in oldSlots.indices where oldSlots[i] >= 0 {
            let (entry, _) = find(oldKeys[i])
            keys[entry] = oldKeys[i]
            slots[entry] = oldSlots[i]
        }
    }
}
