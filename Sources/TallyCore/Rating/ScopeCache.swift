/// The rules of each scope seen in the current epoch: an open-addressing table hashed
/// with `ByteText.hash` over the scope's UTF-8 bytes, because a `[String: _]` lookup
/// (SipHash, seeded per lookup) was the largest single cost of pricing a window.
/// A probe reads one entry (hash, key and rules side by side: one cache line), which
/// matters when windows of thousands of tenants interleave.
struct ScopeCache {
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
    }
    private var entries: [Entry] = []
    private var owners: [LiveRules] = []

    init() { reset(capacity: 16) }

    /// Empties the table in place, keeping its capacity (no allocation when the
    /// epoch changes back and forth).
    mutating func removeAll() {
        if owners.isEmpty { return }
        for i in entries.indices { entries[i] = Entry() }
        owners.removeAll(keepingCapacity: true)
    }

    private mutating func reset(capacity: Int) {
        entries = Array(repeating: Entry(), count: capacity)
        owners.removeAll(keepingCapacity: true)
    }

    @inline(__always) private static func hash(_ scope: String) -> UInt64 {
        scope.utf8.withContiguousStorageIfAvailable { ByteText.hash(UnsafeRawBufferPointer($0)) }
            ?? UInt64(truncatingIfNeeded: scope.hashValue)
    }

    func find(_ scope: String) -> LiveRules? { findUnretained(scope)?.takeUnretainedValue() }

    /// The same without a retain: valid while the entry stays in the table.
    @inline(__always) func findUnretained(_ scope: String) -> Unmanaged<LiveRules>? {
        let h = Self.hash(scope)
        return entries.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while let rules = table[i].rules {
                if table[i].hash == h && table[i].key == scope { return rules }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// The tables of `service` for `scope` when only the hashmap can price for that scope
    /// and `service` is its first service; nil otherwise (also when `scope` is absent).
    @inline(__always) func hashmapOnlyLookup(_ scope: String, service: String) -> UnsafePointer<ServiceIndex.Lookup>? {
        let h = Self.hash(scope)
        return entries.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while table[i].rules != nil {
                if table[i].hash == h && table[i].key == scope {
                    guard let lookup = table[i].hashmapLookup, table[i].hashmapService == service else { return nil }
                    return lookup
                }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Adds `scope` (not present yet); grows at half full.
    mutating func insert(_ scope: String, _ rules: LiveRules) {
        if (owners.count + 1) * 2 > entries.count {
            let old = entries.filter { $0.rules != nil }
            let kept = owners
            reset(capacity: entries.count * 2)
            for e in old { place(e.key, hash: e.hash, e.rules!.takeUnretainedValue()) }
            owners = kept
        }
        place(scope, hash: Self.hash(scope), rules)
        owners.append(rules)
    }

    private mutating func place(_ scope: String, hash h: UInt64, _ rules: LiveRules) {
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while entries[i].rules != nil { i = (i + 1) & mask }
        entries[i] = Entry(hash: h, key: scope, rules: Unmanaged.passUnretained(rules),
                           hashmapService: rules.onlyHashmap ? rules.firstName : "",
                           hashmapLookup: rules.onlyHashmap ? rules.firstLookup : nil)
    }
}
