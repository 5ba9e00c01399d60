import TallyCore

/// The sample keys already folded, kept in memory for the dedupe horizon and
/// persisted with each batch as one record: the batch's keys and the latest event
/// time among their samples. One sequential put per batch instead of one random
/// put per key (the per-key form cost most of a batch's commit time). A batch's
/// keys expire together, once its latest sample is past the horizon.
///
/// Each key keeps where its sample was first read and a 32-bit fingerprint of that
/// sample's content, so that a later sample with the same id but other content is told
/// apart from a plain re-delivery (issue 14 item 2: a conflicting duplicate): 16 bytes
/// beside each 16-byte id; content keys are kept bare. 32 bits make a missed conflict a
/// 1 in 4 billion event.
public struct DedupeIndex {
    /// Where the first copy of a sample was read, and its content fingerprint.
    public struct FirstCopy: Equatable {
        /// 0 when unknown (keys persisted before fingerprints were kept).
        public var fingerprint: UInt32
        public var topic: UInt16
        /// Partitions above 65535 are not distinguished (Kafka topics stay far below).
        public var partition: UInt16
        public var offset: Int64

        public init(fingerprint: UInt32, topic: UInt16, partition: Int32, offset: Int64) {
            self.fingerprint = fingerprint; self.topic = topic
            self.partition = UInt16(truncatingIfNeeded: partition); self.offset = offset
        }

        /// The fingerprint stored for a content key: never 0, which means "unknown".
        public static func fingerprint(_ content: SampleKey) -> UInt32 { UInt32(truncatingIfNeeded: content.low) | 1 }

        var packed: UInt64 { UInt64(fingerprint) << 32 | UInt64(topic) << 16 | UInt64(partition) }
        init(packed: UInt64, offset: Int64) {
            fingerprint = UInt32(packed >> 32); topic = UInt16(truncatingIfNeeded: packed >> 16)
            partition = UInt16(truncatingIfNeeded: packed); self.offset = offset
        }
    }

    /// Sample ids, with where each was first read. Both tables are probed for every
    /// sample, so they hash the keys' own bits (`SampleKeyTable`), not with SipHash.
    private var ids = SampleKeyTable(filler: FirstCopy(packed: 0, offset: 0))
    /// Content keys (`SampleDigest.contentKey`): only whether they were seen.
    private var contents = SampleKeyTable(filler: ())
    /// Keys to persist; a content key is written with `packed` 0.
    private var pending: [(SampleKey, FirstCopy?)] = []
    private var pendingLatest = EventTime(micros: .min)
    private var nextSequence: UInt64 = 1
    /// Keys restored from version-1 records (bare keys, ids and content keys alike) are held
    /// as ids, so a content key is looked for among the ids too while any may be held. State
    /// written since version 2 never sets it: a content key is then one probe, not two.
    private var holdsBareKeys = false
    /// Batch records written from now on carry first copies (a version byte after the time).
    private static let recordVersion: UInt8 = 2

    public init() {}

    public var count: Int { ids.count + contents.count }

    /// Whether `key` (an id or a content key) was seen.
    public func contains(_ key: SampleKey) -> Bool { ids.contains(key) || contents.contains(key) }

    /// Whether the content key `key` was seen: the content keys, and the ids only while keys
    /// of the earlier format (which did not tell the two apart) are held.
    public func containsContent(_ key: SampleKey) -> Bool {
        contents.contains(key) || (holdsBareKeys && ids.contains(key))
    }

    /// Where the sample with id `key` was first read, if it was.
    public func firstCopy(_ key: SampleKey) -> FirstCopy? { ids[key] }

    /// A sample id looked up once (`probe(id:)`): where its first copy is, or where it would
    /// go, so the fold inserts it without probing again (the find-then-insert pair probed each
    /// table twice, ~680 instructions a sample in callgrind).
    struct IDProbe {
        fileprivate let probe: SampleKeyTable<FirstCopy>.Probe
        /// Where the sample with this id was first read, if it was.
        let first: FirstCopy?
    }

    /// A content key looked up once (`probe(content:)`).
    struct ContentProbe {
        fileprivate let probe: SampleKeyTable<Void>.Probe
        /// Whether the content key was seen (as `containsContent` answers).
        let seen: Bool
    }

    /// Starts loading where `probe(id:)` of `key` will look (a hint; see `SampleKeyTable.prefetch`).
    @inline(__always)
    func prefetch(id key: SampleKey) { ids.prefetch(key) }

    /// Starts loading where `probe(content:)` of `key` will look.
    @inline(__always)
    func prefetch(content key: SampleKey) { contents.prefetch(key) }

    /// `firstCopy(key)`, with where the id would be inserted.
    func probe(id key: SampleKey) -> IDProbe {
        let probe = ids.probe(key)
        return IDProbe(probe: probe, first: probe.found ? ids.value(at: probe) : nil)
    }

    /// `containsContent(key)`, with where the content key would be inserted.
    func probe(content key: SampleKey) -> ContentProbe {
        let probe = contents.probe(key)
        return ContentProbe(probe: probe, seen: probe.found || (holdsBareKeys && ids.contains(key)))
    }

    /// `insert(_:at:first:)` for an id that `probe` did not find, where the probe stopped. Nothing
    /// may have been added to or removed from the ids since (inserting a content key is fine: it
    /// is the other table); a stale probe traps.
    mutating func insert(_ key: SampleKey, at time: EventTime, first: FirstCopy, probe: IDProbe) {
        ids.insert(key, first, at: probe.probe)
        pending.append((key, first))
        if pendingLatest < time { pendingLatest = time }
    }

    /// `insert(content:at:)` for a content key that `probe` did not see, where the probe stopped.
    mutating func insert(content key: SampleKey, at time: EventTime, probe: ContentProbe) {
        precondition(!probe.seen, "a content key already seen")
        contents.insert(key, (), at: probe.probe)
        pending.append((key, nil))
        if pendingLatest < time { pendingLatest = time }
    }

    /// Records the id `key` of a sample stamped `time`, first read at `first`; false if it was already seen.
    @discardableResult
    public mutating func insert(_ key: SampleKey, at time: EventTime, first: FirstCopy) -> Bool {
        guard ids.updateValue(first, forKey: key) == nil else { return false }
        pending.append((key, first))
        if pendingLatest < time { pendingLatest = time }
        return true
    }

    /// Records the content key of a sample stamped `time`; false if it was already seen.
    @discardableResult
    public mutating func insert(content key: SampleKey, at time: EventTime) -> Bool {
        guard contents.insertIfAbsent(key, ()) else { return false }
        pending.append((key, nil))
        if pendingLatest < time { pendingLatest = time }
        return true
    }

    /// Writes the keys added since the last call into `txn`, as one record.
    public mutating func persist(into txn: StateTransaction) throws {
        guard !pending.isEmpty else { return }
        let key = StateLayout.dedupeKey(sequence: nextSequence)
        // ~3 MB for a batch of 50,000 samples: written in place, a word at a time (byte by
        // byte into an array, then copied into LMDB, it was most of the dedupe's commit time).
        try txn.put(.dedupe, key, count: 9 + pending.count * 32, append: true) { buffer in
            var value = RawByteWriter(buffer)
            value.i64(pendingLatest.micros)
            value.u8(DedupeIndex.recordVersion)
            for (k, first) in pending {
                value.u64(k.high); value.u64(k.low); value.u64(first?.packed ?? 0); value.i64(first?.offset ?? 0)
            }
        }
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
            try DedupeIndex.readKeys(&r, count: v.count) { key, first in
                if first == nil { contents.remove(key) } else { ids.remove(key) }
            }
            doomed.append(Array(k))
            return true
        }
        for k in doomed { try txn.delete(.dedupe, k) }
    }

    /// Loads every persisted key.
    public mutating func restore(from txn: StateTransaction) throws {
        try txn.scan(.dedupe, from: []) { k, v in
            nextSequence = max(nextSequence, try StateLayout.sequence(decoding: k, what: "dedupe sequence") + 1)
            var r = ByteReader(v, what: "dedupe batch")
            _ = try r.i64()
            if DedupeIndex.isBareKeyRecord(count: v.count) { holdsBareKeys = true }
            try DedupeIndex.readKeys(&r, count: v.count) { key, first in
                if let first { ids.updateValue(first, forKey: key) } else { contents.insertIfAbsent(key, ()) }
            }
            return true
        }
    }

    /// Whether a batch record of `count` bytes is of version 1 (bare keys): 8 + 16n bytes,
    /// which a version 2 record (8 + 1 + 32n) never is.
    private static func isBareKeyRecord(count: Int) -> Bool { (count - 8) % 16 == 0 }

    /// The keys of one batch record (after its time): version 1 records hold bare keys
    /// (16 bytes each, so their length is 8 + 16n), read as ids of unknown content;
    /// version 2 a version byte then keys with their first copies (32 bytes each; nil for
    /// a content key, written as 0).
    private static func readKeys(_ r: inout ByteReader, count: Int, _ body: (SampleKey, FirstCopy?) -> Void) throws {
        if isBareKeyRecord(count: count) {
            while !r.isAtEnd { body(SampleKey(high: try r.u64(), low: try r.u64()), FirstCopy(packed: 0, offset: -1)) }
            return
        }
        let version = try r.u8()
        guard version == recordVersion else { throw StateCorruption(detail: "dedupe batch record version \(version)") }
        while !r.isAtEnd {
            let key = SampleKey(high: try r.u64(), low: try r.u64())
            let packed = try r.u64(), offset = try r.i64()
            body(key, packed == 0 ? nil : FirstCopy(packed: packed, offset: offset))
        }
    }
}
