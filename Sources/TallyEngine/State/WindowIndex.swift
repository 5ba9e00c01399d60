import TallyCore

/// A table keyed by `WindowKey`, probed with a multiply of the key's own words: the window
/// index (probed once per folded sample) and the close phase's tables (recently closed
/// windows' last points, the counter marks' cache) are all this.
///
/// A `Dictionary<WindowKey, _>` runs SipHash over the key for every probe (~5% of the
/// engine's time in `tally-bench fold` for the window index; ~8% of the close phase for the
/// other two, with their hashing). A window key is five small integers that are already
/// distinct (interned symbols, a start in microseconds), so a multiply of its three words
/// spreads it well enough. Linear probing, grown at a load of 3/4, backward-shift deletion
/// (no tombstones). An entry is empty when its value is nil, so keys need no sentinel value.
struct WindowKeyTable<Value> {
    private var keys: [WindowKey]
    private var values: [Value?]
    private var mask: Int
    /// 64 − log2(entry count).
    private var shift: UInt64 = 60
    private(set) var count = 0

    private static var placeholder: WindowKey {
        WindowKey(start: EventTime(micros: 0), metric: .none, scope: .none, resource: .none, group: .none)
    }

    init() {
        keys = Array(repeating: WindowKeyTable.placeholder, count: 16)
        values = Array(repeating: nil, count: 16)
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
            if values[i] == nil { return (i, false) }
            if WindowKeyTable.same(keys[i], key) { return (i, true) }
            i = (i &+ 1) & mask
        }
    }

    /// The value of `key`; setting nil removes the key.
    subscript(key: WindowKey) -> Value? {
        @inline(__always) get {
            let (entry, found) = find(key)
            return found ? values[entry] : nil
        }
        set {
            if let value = newValue { insert(key, value) } else { remove(key) }
        }
    }

    /// The first value, in table order, for which `matches` holds (a correction looks for
    /// its window among the open ones this way: rare, so a walk is fine).
    func first(where matches: (WindowKey, Value) -> Bool) -> Value? {
        for i in values.indices {
            if let value = values[i], matches(keys[i], value) { return value }
        }
        return nil
    }

    /// Keeps only the entries for which `keep` holds (a purge: rare, a walk and a rebuild).
    mutating func retain(where keep: (WindowKey, Value) -> Bool) {
        let oldKeys = keys, oldValues = values
        for i in values.indices { values[i] = nil }
        count = 0
        for i in oldValues.indices {
            if let value = oldValues[i], keep(oldKeys[i], value) { insert(oldKeys[i], value) }
        }
    }

    /// Every entry, in table order.
    func forEach(_ body: (WindowKey, Value) throws -> Void) rethrows {
        for i in values.indices {
            if let value = values[i] { try body(keys[i], value) }
        }
    }

    mutating func removeAll() {
        for i in values.indices { values[i] = nil }
        count = 0
    }

    private mutating func insert(_ key: WindowKey, _ value: Value) {
        let (entry, found) = find(key)
        values[entry] = value
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
            if values[i] == nil { break }
            // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
            let h = home(keys[i])
            let stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i)
            if stays { continue }
            keys[hole] = keys[i]
            values[hole] = values[i]
            hole = i
        }
        values[hole] = nil
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let capacity = (mask + 1) * 2
        keys = Array(repeating: WindowKeyTable.placeholder, count: capacity)
        values = Array(repeating: nil, count: capacity)
        mask = capacity - 1
        shift -= 1
        for i in oldValues.indices {
            guard let value = oldValues[i] else { continue }
            let (entry, _) = find(oldKeys[i])
            keys[entry] = oldKeys[i]
            values[entry] = value
        }
    }
}

/// The open windows' slots by key (`WindowCache`): a `WindowKeyTable` of `Int32` slots, in
/// this file so that the generic table is specialised for it in debug builds too (they are
/// compiled a file at a time, and the index is probed once per folded sample).
struct WindowIndex {
    private var table = WindowKeyTable<Int32>()

    var count: Int { table.count }

    /// The slot of `key`'s window; setting nil removes the key.
    subscript(key: WindowKey) -> Int? {
        @inline(__always) get { table[key].map { Int($0) } }
        set {
            if let slot = newValue {
                precondition(slot >= 0 && slot <= Int(Int32.max), "window slot \(slot) out of range")
                table[key] = Int32(slot)
            } else {
                table[key] = nil
            }
        }
    }

    /// The slot of the first entry, in table order, for which `matches` holds.
    func firstSlot(where matches: (WindowKey, Int) -> Bool) -> Int? {
        table.first { key, slot in matches(key, Int(slot)) }.map { Int($0) }
    }
}
