import TallyCore

/// The last counter value of each `increase` series (metric, scope, resource, group),
/// kept across gaps: the latest closed window of the series and that window's last point.
///
/// Without it a counter's baseline came only from the window just before, so an agent
/// outage longer than one period lost the rise made during the outage. With it, the
/// first window after the gap starts from the last value before the gap, and the rise
/// counts in the window of the later sample, as Gnocchi's rate aggregation does.
///
/// Entries are written with the batch that closes the window (`StateTable.counterMarks`),
/// so they are exactly as durable as the windows; the cache is a read-through copy.
final class CounterMarks {
    struct Mark: Equatable {
        var windowStart: EventTime
        var point: SamplePoint
    }

    /// Read-through copies of stored marks by series (nil: none stored), and the marks the
    /// batch changed. Tables probed like the window index: SipHash over the key, as a
    /// `Dictionary` hashes it, was ~4% of the close phase (`tally-bench fold`'s profile).
    private var cache = WindowKeyTable<Mark?>()
    private var dirty = WindowKeyTable<Mark>()

    /// The series of a window: its key without the start.
    static func series(_ key: WindowKey) -> WindowKey {
        var s = key
        s.start = EventTime(micros: 0)
        return s
    }

    /// The series' latest closed window and its last point, if any is stored.
    /// A miss is read from the store and cached where the cache's probe stopped (reading the
    /// store leaves the cache alone): one probe either way.
    func mark(of key: WindowKey, store: StateStore) throws -> Mark? {
        let s = CounterMarks.series(key)
        let probe = cache.probe(s)
        if probe.found { return cache.value(at: probe) }
        let loaded = try store.read { txn in
            try txn.get(.counterMarks, StateLayout.counterMarkKey(s)).map { bytes in
                try bytes.withUnsafeBytes { try CounterMarks.decode($0) }
            }
        }
        cache.insert(s, loaded, at: probe)  // a stored nil: "none stored", cached too
        return loaded
    }

    /// Window `key` closed with last point `last`: it becomes the series' mark unless a
    /// later window of the series has closed already (a late revision of an older window).
    /// `mark(of:)` leaves the series' current mark cached, so it is compared as returned rather
    /// than looked up again (a probe and an exclusivity check per closed counter window).
    func note(_ key: WindowKey, last: SamplePoint, store: StateStore) throws {
        let current = try mark(of: key, store: store)
        if let current, current.windowStart > key.start { return }
        let mark = Mark(windowStart: key.start, point: last)
        guard current != mark else { return }
        let s = CounterMarks.series(key)
        cache[s] = .some(mark)
        dirty[s] = mark
    }

    func persist(into txn: StateTransaction) throws {
        guard dirty.count > 0 else { return }
        try dirty.forEach { s, mark in
            try txn.put(.counterMarks, StateLayout.counterMarkKey(s), CounterMarks.encode(mark), append: false)
        }
        dirty.removeAll()
    }

    /// Deletes the stored marks `expired` says no window can start from any more, and
    /// forgets cached marks of series quiet since `cacheHorizon` (they are read again if needed).
    func purge(in txn: StateTransaction, cacheHorizon: EventTime, expired: (WindowKey, Mark) -> Bool) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.counterMarks, from: []) { k, v in
            if expired(try StateLayout.counterMarkSeries(decoding: k), try CounterMarks.decode(v)) { doomed.append(Array(k)) }
            return true
        }
        for k in doomed { try txn.delete(.counterMarks, k) }
        cache.retain { _, mark in mark.map { $0.windowStart >= cacheHorizon } ?? false }
    }

    static func encode(_ mark: Mark) -> [UInt8] {
        var w = ByteWriter(capacity: 56)
        w.i64(mark.windowStart.micros); w.i64(mark.point.time.micros)
        w.u64(mark.point.key.high); w.u64(mark.point.key.low)
        let v = mark.point.value
        w.u64(UInt64(truncatingIfNeeded: v.coefficient >> 64)); w.u64(UInt64(truncatingIfNeeded: v.coefficient))
        w.i32(v.exponent)
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Mark {
        var r = ByteReader(bytes, what: "counter mark")
        let start = EventTime(micros: try r.i64()), time = EventTime(micros: try r.i64())
        let key = SampleKey(high: try r.u64(), low: try r.u64())
        let high = Int128(Int64(bitPattern: try r.u64())) << 64, low = Int128(try r.u64())
        let value = ExactDecimal(coefficient: high | low, exponent: try r.i32())
        return Mark(windowStart: start, point: SamplePoint(time: time, key: key, value: value))
    }
}
