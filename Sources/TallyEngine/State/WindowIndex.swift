import TallyCore
import CTallySIMD

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
///
/// Each key sits beside its value in one array (`Entry`: 32 bytes for the window index), so a
/// probe reads one cache line, not one in a keys array and one in a values array: the fold is
/// bound by memory, and the index is probed for every sample.
struct WindowKeyTable<Value> {
    private struct Entry {
        var key: WindowKey
        var value: Value?
    }

    private var entries: [Entry]
    private var mask: Int
    /// 64 − log2(entry count).
    private var shift: UInt64 = 60
    private(set) var count = 0
    /// Inserts and removals so far (wrapping), which a `Probe` is checked against.
    private var changes: UInt32 = 0

    private static var placeholder: WindowKey {
        WindowKey(start: EventTime(micros: 0), metric: .none, scope: .none, resource: .none, group: .none)
    }

    init() {
        entries = Array(repeating: Entry(key: WindowKeyTable.placeholder, value: nil), count: 16)
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
            if entries[i].value == nil { return (i, false) }
            if WindowKeyTable.same(entries[i].key, key) { return (i, true) }
            i = (i &+ 1) & mask
        }
    }

    /// The value of `key`; setting nil removes the key.
    subscript(key: WindowKey) -> Value? {
        @inline(__always) get {
            let (entry, found) = find(key)
            return found ? entries[entry].value : nil
        }
        set {
            if let value = newValue { insert(key, value) } else { remove(key) }
        }
    }

    /// The first value, in table order, for which `matches` holds (a correction looks for
    /// its window among the open ones this way: rare, so a walk is fine).
    func first(where matches: (WindowKey, Value) -> Bool) -> Value? {
        for entry in entries {
            if let value = entry.value, matches(entry.key, value) { return value }
        }
        return nil
    }

    /// Keeps only the entries for which `keep` holds (a purge: rare, a walk and a rebuild).
    mutating func retain(where keep: (WindowKey, Value) -> Bool) {
        let old = entries
        for i in entries.indices { entries[i].value = nil }
        count = 0
        changes &+= 1
        for entry in old {
            if let value = entry.value, keep(entry.key, value) { insert(entry.key, value) }
        }
    }

    /// Every entry, in table order.
    func forEach(_ body: (WindowKey, Value) throws -> Void) rethrows {
        for entry in entries {
            if let value = entry.value { try body(entry.key, value) }
        }
    }

    mutating func removeAll() {
        for i in entries.indices { entries[i].value = nil }
        count = 0
        changes &+= 1
    }

    private mutating func insert(_ key: WindowKey, _ value: Value) {
        let (entry, found) = find(key)
        if found { entries[entry].value = value; return }
        entries[entry] = Entry(key: key, value: value)
        count += 1
        changes &+= 1
        if count * 4 > (mask + 1) * 3 { grow() }
    }

    /// Where a probe for a key ended: the entry holding it, or the free entry it would go in.
    /// Valid while the table does not change, so a lookup that missed hands its place to the
    /// insert that follows (a new window: one probe, not three).
    struct Probe {
        fileprivate let entry: Int
        /// The table's change count when probed: any insert or removal since may have moved keys.
        fileprivate let stamp: UInt32
        let found: Bool
    }

    /// Starts loading the cache line where a probe for `key` begins (a hint: it changes nothing).
    @inline(__always)
    func prefetch(_ key: WindowKey) {
        let i = home(key)
        entries.withUnsafeBufferPointer { tally_prefetch(UnsafeRawPointer($0.baseAddress! + i)) }
    }

    /// One probe for `key`: whether it is held, and where it is or would go.
    @inline(__always)
    func probe(_ key: WindowKey) -> Probe {
        let (entry, found) = find(key)
        return Probe(entry: entry, stamp: changes, found: found)
    }

    /// The value of the key `probe` found.
    @inline(__always)
    func value(at probe: Probe) -> Value {
        precondition(probe.found && probe.stamp == changes, "a stale or missed probe")
        return entries[probe.entry].value!
    }

    /// Adds `key`, which `probe` did not find, with `value` where the probe stopped. The table
    /// must not have changed since the probe (checked with a count of changes, so a misuse
    /// traps rather than losing a key).
    mutating func insert(_ key: WindowKey, _ value: Value, at probe: Probe) {
        precondition(!probe.found && probe.stamp == changes, "a stale or found probe")
        entries[probe.entry] = Entry(key: key, value: value)
        count += 1
        changes &+= 1
        if count * 4 > (mask + 1) * 3 { grow() }
    }

    /// Removes `key`; the entries after it in its probe run move back to close the gap.
    private mutating func remove(_ key: WindowKey) {
        var (hole, found) = find(key)
        guard found else { return }
        count -= 1
        changes &+= 1
        var i = hole
        while true {
            i = (i &+ 1) & mask
            if entries[i].value == nil { break }
            // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
            let h = home(entries[i].key)
            let stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i)
            if stays { continue }
            entries[hole] = entries[i]
            hole = i
        }
        entries[hole].value = nil
    }

    private mutating func grow() {
        let old = entries
        let capacity = (mask + 1) * 2
        entries = Array(repeating: Entry(key: WindowKeyTable.placeholder, value: nil), count: capacity)
        mask = capacity - 1
        shift -= 1
        for entry in old where entry.value != nil {
            entries[find(entry.key).entry] = entry
        }
    }
}

/// The open windows' slots by key (`WindowCache`): a `WindowKeyTable` of `Int32` slots, in
/// this file so that the generic table is specialised for it in debug builds too (they are
/// compiled a file at a time, and the index is probed once per folded sample).
struct WindowIndex {
    private var table = WindowKeyTable<Int32>()

    var count: Int { table.count }

    typealias Probe = WindowKeyTable<Int32>.Probe

    /// Starts loading where a lookup of `key` begins (a hint).
    @inline(__always)
    func prefetch(_ key: WindowKey) { table.prefetch(key) }

    /// One probe for `key`: its slot if held, else where it would be inserted (`insert(_:slot:at:)`).
    @inline(__always)
    func probe(_ key: WindowKey) -> Probe { table.probe(key) }

    /// The slot of the window `probe` found.
    @inline(__always)
    func slot(at probe: Probe) -> Int { Int(table.value(at: probe)) }

    /// Adds `key` at `slot` where `probe`, which missed it, stopped; nothing may have changed since.
    mutating func insert(_ key: WindowKey, slot: Int, at probe: Probe) {
        precondition(slot >= 0 && slot <= Int(Int32.max), "window slot \(slot) out of range")
        table.insert(key, Int32(slot), at: probe)
    }

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
