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

    private var cache: [WindowKey: Mark?] = [:]
    private var dirty: [WindowKey: Mark] = [:]

    /// The series of a window: its key without the start.
    static func series(_ key: WindowKey) -> WindowKey {
        var s = key
        s.start = EventTime(micros: 0)
        return s
    }

    /// The series' latest closed window and its last point, if any is stored.
    func mark(of key: WindowKey, store: StateStore) throws -> Mark? {
        let s = CounterMarks.series(key)
        if let cached = cache[s] { return cached }
        let loaded = try store.read { txn in
            try txn.get(.counterMarks, CounterMarks.storageKey(s)).map { bytes in
                try bytes.withUnsafeBytes { try CounterMarks.decode($0) }
            }
        }
        cache.updateValue(loaded, forKey: s)
        return loaded
    }

    /// Window `key` closed with last point `last`: it becomes the series' mark unless a
    /// later window of the series has closed already (a late revision of an older window).
    func note(_ key: WindowKey, last: SamplePoint, store: StateStore) throws {
        if let current = try mark(of: key, store: store), current.windowStart > key.start { return }
        let mark = Mark(windowStart: key.start, point: last)
        let s = CounterMarks.series(key)
        guard cache[s] != .some(mark) else { return }
        cache.updateValue(mark, forKey: s)
        dirty[s] = mark
    }

    func persist(into txn: StateTransaction) throws {
        for (s, mark) in dirty { try txn.put(.counterMarks, CounterMarks.storageKey(s), CounterMarks.encode(mark), append: false) }
        dirty.removeAll(keepingCapacity: true)
    }

    /// Deletes the stored marks `expired` says no window can start from any more, and
    /// forgets cached marks of series quiet since `cacheHorizon` (they are read again if needed).
    func purge(in txn: StateTransaction, cacheHorizon: EventTime, expired: (WindowKey, Mark) -> Bool) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.counterMarks, from: []) { k, v in
            var r = ByteReader(k, what: "counter mark key")
            let s = WindowKey(start: EventTime(micros: 0), metric: Symbol(raw: try r.u32()), scope: Symbol(raw: try r.u32()),
                              resource: Symbol(raw: try r.u32()), group: Symbol(raw: try r.u32()))
            if expired(s, try CounterMarks.decode(v)) { doomed.append(Array(k)) }
            return true
        }
        for k in doomed { try txn.delete(.counterMarks, k) }
        cache = cache.filter { _, mark in mark.map { $0.windowStart >= cacheHorizon } ?? false }
    }

    static func storageKey(_ series: WindowKey) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u32(series.metric.raw); w.u32(series.scope.raw); w.u32(series.resource.raw); w.u32(series.group.raw)
        return w.bytes
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
