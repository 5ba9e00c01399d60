/// The rules of each scope seen in the current epoch: an open-addressing table hashed
/// with `ByteText.hash` over the scope's UTF-8 bytes, because a `[String: _]` lookup
/// (SipHash, seeded per lookup) was the largest single cost of pricing a window.
/// A probe reads one entry (hash, key and rules side by side in its first cache line),
/// which matters when windows of thousands of tenants interleave. When only the hashmap
/// prices for the scope, the entry's next two lines hold a copy of its first service's
/// `ServiceIndex.Front`: the usual window reads nothing else of its own (three adjacent
/// lines at an address known after the hash, fetched together), then only tables every
/// scope shares (the global index's) and, for a value the tenant prices itself, its run.
///
/// A class whose table is raw memory, held by the `Rater` in a `let`: as a struct in a
/// `var` of the Rater, every window's lookup was a dynamic exclusivity check
/// (`swift_beginAccess`) and a retain and release of both arrays around the call. The
/// table's address and mask are trivial values that only change in `insert`, so reading
/// them needs neither.
final class ScopeCache {
    private struct Entry {
        var hash: UInt64 = 0
        var key = ""
        /// Unretained: the per-window lookup hands these out without reference counting
        /// (`owners` and the Rater's compiled cache keep them alive).
        var rules: Unmanaged<LiveRules>?
        /// When only the hashmap can price for this scope: its first service's name and
        /// tables, so the usual window reads them here instead of from the `LiveRules`
        /// (one dependent cache miss less per window when thousands of tenants interleave).
        var hashmapService = ""
        var hashmapLookup: UnsafePointer<ServiceIndex.Lookup>?
        /// Pads the first part to 64 bytes: in a line-aligned table a probe reads one cache
        /// line, and `front` starts the next.
        var padding: UInt64 = 0
        /// A copy of `hashmapLookup`'s front (unused without it).
        var front = ServiceIndex.Front()
    }
    /// `mask + 1` entries, a power of two; free entries have no `rules`.
    private var entries: UnsafeMutablePointer<Entry>
    private var mask: Int
    private var owners: [LiveRules] = []

    init() {
        mask = 15
        entries = Self.allocate(mask + 1)
    }

    deinit {
        entries.deinitialize(count: mask + 1)
        UnsafeMutableRawPointer(entries).deallocate()
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Entry> {
        assert(MemoryLayout<Entry>.stride == 192 && MemoryLayout<Entry>.offset(of: \Entry.front) == 64,
               "a scope entry is one cache line, then its front's two")
        let table = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Entry>.stride, alignment: 64)
            .bindMemory(to: Entry.self, capacity: count)
        table.initialize(repeating: Entry(), count: count)
        return table
    }

    /// Empties the table in place, keeping its capacity (no allocation when the
    /// epoch changes back and forth).
    func removeAll() {
        if owners.isEmpty { return }
        let table = entries
        for i in 0...mask { table[i] = Entry() }
        owners.removeAll(keepingCapacity: true)
    }

    @inline(__always) private static func hash(_ scope: String) -> UInt64 {
        scope.utf8.withContiguousStorageIfAvailable { ByteText.hash(UnsafeRawBufferPointer($0)) }
            ?? UInt64(truncatingIfNeeded: scope.hashValue)
    }

    func find(_ scope: String) -> LiveRules? { findUnretained(scope)?.takeUnretainedValue() }

    /// The entry of `scope`, if present: valid until the next `insert` or `removeAll`.
    @inline(__always) private func entry(_ scope: String) -> UnsafeMutablePointer<Entry>? {
        let h = Self.hash(scope)
        let table = entries, mask = mask
        var i = Int(truncatingIfNeeded: h) & mask
        while table[i].rules != nil {
            if table[i].hash == h && table[i].key == scope { return table + i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The same without a retain: valid while the entry stays in the table.
    @inline(__always) func findUnretained(_ scope: String) -> Unmanaged<LiveRules>? {
        entry(scope)?.pointee.rules
    }

    /// The tables of `service` for `scope` when only the hashmap can price for that scope
    /// and `service` is its first service, with the entry's copy of their front (valid until
    /// the next `insert` or `removeAll`); nil otherwise (also when `scope` is absent).
    @inline(__always) func hashmapOnlyLookup(_ scope: String, service: String)
        -> (lookup: UnsafePointer<ServiceIndex.Lookup>, front: UnsafePointer<ServiceIndex.Front>)? {
        guard let e = entry(scope), let lookup = e.pointee.hashmapLookup, e.pointee.hashmapService == service else { return nil }
        let front = (UnsafeRawPointer(e) + 64).assumingMemoryBound(to: ServiceIndex.Front.self)
        return (lookup, front)
    }

    /// Adds `scope` (not present yet); grows at half full.
    func insert(_ scope: String, _ rules: LiveRules) {
        if (owners.count + 1) * 2 > mask + 1 {
            let old = entries, oldCount = mask + 1
            let count = oldCount * 2
            entries = Self.allocate(count)
            mask = count - 1
            for i in 0..<oldCount where old[i].rules != nil {
                place(old[i].key, hash: old[i].hash, old[i].rules!.takeUnretainedValue())
            }
            old.deinitialize(count: oldCount)
            UnsafeMutableRawPointer(old).deallocate()
        }
        place(scope, hash: Self.hash(scope), rules)
        owners.append(rules)
    }

    private func place(_ scope: String, hash h: UInt64, _ rules: LiveRules) {
        let table = entries, mask = mask
        var i = Int(truncatingIfNeeded: h) & mask
        while table[i].rules != nil { i = (i + 1) & mask }
        let lookup = rules.onlyHashmap ? rules.firstLookup : nil
        table[i] = Entry(hash: h, key: scope, rules: Unmanaged.passUnretained(rules),
                         hashmapService: rules.onlyHashmap ? rules.firstName : "",
                         hashmapLookup: lookup, front: lookup?.pointee.front ?? ServiceIndex.Front())
    }
}
