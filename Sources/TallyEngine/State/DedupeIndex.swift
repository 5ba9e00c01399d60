import TallyCore

/// The sample keys already folded, kept in memory for the dedupe horizon and
/// persisted with each batch as one record: the batch's keys and the latest event
/// time among their samples. One sequential put per batch instead of one random
/// put per key (the per-key form cost most of a batch's commit time). A batch's
/// keys expire together, once its latest sample is past the horizon.
public struct DedupeIndex {
    private var seen = Set<SampleKey>()
    private var pending: [SampleKey] = []
    private var pendingLatest = EventTime(micros: .min)
    private var nextSequence: UInt64 = 1

    public init() {}

    public var count: Int { seen.count }

    public func contains(_ key: SampleKey) -> Bool { seen.contains(key) }

    /// Records `key` for a sample stamped `time`; false if it was already seen.
    @discardableResult
    public mutating func insert(_ key: SampleKey, at time: EventTime) -> Bool {
        guard seen.insert(key).inserted else { return false }
        pending.append(key)
        if pendingLatest < time { pendingLatest = time }
        return true
    }

    /// Writes the keys added since the last call into `txn`, as one record.
    public mutating func persist(into txn: StateTransaction) throws {
        guard !pending.isEmpty else { return }
        var key = ByteWriter(capacity: 8)
        key.u64(nextSequence)
        var value = ByteWriter(capacity: 8 + pending.count * 16)
        value.i64(pendingLatest.micros)
        for k in pending { value.u64(k.high); value.u64(k.low) }
        try txn.put(.dedupe, key.bytes, value.bytes, append: true)
        nextSequence += 1
        pending.removeAll(keepingCapacity: true)
        pendingLatest = EventTime(micros: .min)
    }

    /// Forgets the batches whose latest sample is older than `horizon`.
    public mutating func expire(before horizon: EventTime, in txn: StateTransaction) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.dedupe, from: []) { k, v in
            var r = ByteReader(v, what: "dedupe batch")
            guard try r.i64() < horizon.micros else { return true }
            while !r.isAtEnd { seen.remove(SampleKey(high: try r.u64(), low: try r.u64())) }
            doomed.append(Array(k))
            return true
        }
        for k in doomed { try txn.delete(.dedupe, k) }
    }

    /// Loads every persisted key.
    public mutating func restore(from txn: StateTransaction) throws {
        try txn.scan(.dedupe, from: []) { k, v in
            var kr = ByteReader(k, what: "dedupe sequence")
            nextSequence = max(nextSequence, try kr.u64() + 1)
            var r = ByteReader(v, what: "dedupe batch")
            _ = try r.i64()
            seen.reserveCapacity(seen.count + (v.count - 8) / 16)
            while !r.isAtEnd { seen.insert(SampleKey(high: try r.u64(), low: try r.u64())) }
            return true
        }
    }
}
