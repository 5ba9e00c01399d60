/// The rules of each scope seen in the current epoch: an open-addressing table hashed
/// with `ByteText.hash` over the scope's UTF-8 bytes, because a `[String: _]` lookup
/// (SipHash, seeded per lookup) was the largest single cost of pricing a window.
struct ScopeCache {
    private var keys: [String] = []
    private var hashes: [UInt64] = []
    private var values: [LiveRules?] = []
    /// `values` again, unretained: the per-window lookup hands these out without
    /// reference counting (`values` and the Rater's compiled cache keep them alive).
    private var unretained: [Unmanaged<LiveRules>?] = []
    private var count = 0

    init() { reset(capacity: 16) }

    /// Empties the table in place, keeping its capacity (no allocation when the
    /// epoch changes back and forth).
    mutating func removeAll() {
        if count == 0 { return }
        for i in values.indices { values[i] = nil; unretained[i] = nil }
        count = 0
    }

    private mutating func reset(capacity: Int) {
        keys = Array(repeating: "", count: capacity)
        hashes = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        unretained = Array(repeating: nil, count: capacity)
        count = 0
    }

    @inline(__always) private static func hash(_ scope: String) -> UInt64 {
        scope.utf8.withContiguousStorageIfAvailable { ByteText.hash(UnsafeRawBufferPointer($0)) }
            ?? UInt64(truncatingIfNeeded: scope.hashValue)
    }

    func find(_ scope: String) -> LiveRules? { findUnretained(scope)?.takeUnretainedValue() }

    /// The same without a retain: valid while the entry stays in the table.
    @inline(__always) func findUnretained(_ scope: String) -> Unmanaged<LiveRules>? {
        let h = Self.hash(scope)
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while let value = unretained[i] {
            if hashes[i] == h && keys[i] == scope { return value }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds `scope` (not present yet); grows at half full.
    mutating func insert(_ scope: String, _ rules: LiveRules) {
        if (count + 1) * 2 > keys.count {
            let old = zip(keys, values).compactMap { k, v in v.map { (k, $0) } }
            reset(capacity: keys.count * 2)
            for (k, v) in old { place(k, v) }
        }
        place(scope, rules)
    }

    private mutating func place(_ scope: String, _ rules: LiveRules) {
        let h = Self.hash(scope)
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while values[i] != nil { i = (i + 1) & mask }
        keys[i] = scope; hashes[i] = h; values[i] = rules; unretained[i] = Unmanaged.passUnretained(rules)
        count += 1
    }
}
