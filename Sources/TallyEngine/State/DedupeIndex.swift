import TallyCore

/// The sample keys already folded, kept in memory for the dedupe horizon and
/// persisted (event time + key, so inserts are near-sequential) with each batch.
/// On restart the keys still inside the horizon are loaded back.
public struct DedupeIndex {
    private var seen = Set<SampleKey>()
    private var pending: [(EventTime, SampleKey)] = []

    public init() {}

    public var count: Int { seen.count }

    public func contains(_ key: SampleKey) -> Bool { seen.contains(key) }

    /// Records `key`; false if it was already seen (a duplicate).
    @discardableResult
    public mutating func insert(_ key: SampleKey, at time: EventTime) -> Bool {
        guard seen.insert(key).inserted else { return false }
        pending.append((time, key))
        return true
    }

    static func storageKey(_ time: EventTime, _ key: SampleKey) -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.i64(time.micros); w.u64(key.high); w.u64(key.low)
        return w.bytes
    }

    /// Writes the keys added since the last call into `txn`.
    public mutating func persist(into txn: StateTransaction) throws {
        pending.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (time, key) in pending { try txn.put(.dedupe, DedupeIndex.storageKey(time, key), [], append: false) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Forgets keys of samples older than `horizon`, in memory and in `txn`.
    public mutating func expire(before horizon: EventTime, in txn: StateTransaction) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.dedupe, from: DedupeIndex.storageKey(EventTime(micros: .min), SampleKey(high: 0, low: 0))) { k, _ in
            var r = ByteReader(k, what: "dedupe key")
            let time = try r.i64()
            guard time < horizon.micros else { return false }
            seen.remove(SampleKey(high: try r.u64(), low: try r.u64()))
            doomed.append(Array(k))
            return true
        }
        for k in doomed { try txn.delete(.dedupe, k) }
    }

    /// Loads every persisted key.
    public mutating func restore(from txn: StateTransaction) throws {
        try txn.scan(.dedupe, from: []) { k, _ in
            var r = ByteReader(k, what: "dedupe key")
            _ = try r.i64()
            seen.insert(SampleKey(high: try r.u64(), low: try r.u64()))
            return true
        }
    }
}
