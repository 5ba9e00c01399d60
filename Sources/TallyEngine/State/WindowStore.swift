import TallyCore

/// The task's windows, in memory and in the store, and what closing reads beside them:
/// Kafka Streams' window store for one task (its caching layer is `WindowCache`).
///
/// It owns the windows held in memory (`cache`), the order they close in (`closeQueue`),
/// the last points of recently closed windows and the counter marks (the baselines that
/// counter increases and time-weighted averages start from), and it is the only reader and
/// writer of window records. A final class the task holds directly: no protocol dispatch
/// per sample, and the task changes a window in place through `cache[slot]`.
///
/// A failed read of the store must not pass for "no such window": it is kept in
/// `readFailure`, and the task's next commit throws it (nothing of the batch is committed).
final class WindowStore {
    var cache = WindowCache()
    /// Open windows by the clock time they close at (end + grace).
    var closeQueue = CloseQueue()
    /// Last points of recently closed increase/time-weighted windows: the next window
    /// starts from them, and this saves a store read per closing window.
    private(set) var closedLastPoints = WindowKeyTable<SamplePoint>()
    /// Each counter series' latest closed window and last point, for baselines across gaps.
    let counterMarks = CounterMarks()
    private(set) var readFailure: Error?

    let store: StateStore
    let catalog: MetricCatalog
    private let topicIndex: [String: UInt16]

    init(store: StateStore, catalog: MetricCatalog, topicIndex: [String: UInt16]) {
        self.store = store
        self.catalog = catalog
        self.topicIndex = topicIndex
    }

    /// Records a failed read of the store (the next commit throws it).
    func failed(_ error: Error) { readFailure = error }

    /// The slot of window `key`, which is not in memory (`probe`: where the cache's lookup of
    /// it stopped, `WindowCache.foldIfHeld`): for a late sample from the store, else new, built
    /// from `sample`. A window that is not closed is queued to close.
    func slot(for key: WindowKey, metric m: Int, bounds: WindowBounds, sample: DecodedSample, late: Bool,
              missing probe: WindowIndex.Probe) -> Int {
        var stored: WindowState?
        if late {
            do { stored = try load(key, metric: m) } catch { readFailure = error }
        }
        let compiled = catalog.metrics[m]
        let slot: Int
        if let stored {
            slot = cache.add(stored, dirty: true, at: probe)  // reading the store left the cache alone
        } else {
            // Built in its slot, reusing the arrays of the window the slot held last.
            slot = cache.addNew(key: key, metric: m, bounds: bounds,
                                accumulator: Accumulator(aggregation: compiled.definition.aggregation, window: bounds),
                                metadataCount: compiled.metadata.count, at: probe) { values in
                values.reserveCapacity(compiled.groupby.count)
                for field in compiled.groupby { values.append(MetricCatalog.value(of: field, in: sample)) }
            }
        }
        if !cache[slot].closed { closeQueue.push(bounds.end + compiled.definition.grace, key) }
        return slot
    }

    /// A closed window from the store.
    func load(_ key: WindowKey, metric m: Int) throws -> WindowState? {
        try store.read { txn in
            guard let bytes = try txn.get(.windows, key.encoded) else { return nil }
            return try bytes.withUnsafeBytes { try WindowState(key: key, metric: m, decoding: $0, topicIndex: topic(named:)) }
        }
    }

    func topic(named topic: String) -> UInt16 { topicIndex[topic] ?? 0 }

    /// Reopens the closed window `key` (from memory or the store) so that it closes
    /// again at `clock`, in this batch. `repricing`: it is revised only if its price or
    /// its quantity (known from the tier ledger) changed. A window still open, or purged
    /// past its retention, is left alone. Returns whether the window exists.
    @discardableResult
    func reopen(_ key: WindowKey, metric m: Int, repricing: Bool, at clock: EventTime?) -> Bool {
        guard let clock else { return false }
        if let slot = cache.slot(of: key) {
            guard cache[slot].closed else {
                // Already reopened in this batch: a request that must revise wins over one that may not.
                if !repricing { cache[slot].repricing = false }
                return true
            }
            cache[slot].closed = false
            cache[slot].repricing = repricing
        } else {
            let state: WindowState?
            do { state = try load(key, metric: m) } catch { readFailure = error; return false }
            guard var window = state else { return false }
            window.closed = false
            window.repricing = repricing
            _ = cache.add(window, dirty: false)  // written when it closes again
        }
        closeQueue.push(clock, key)
        return true
    }

    /// The last point of the window before `key`'s (same metric, scope, resource and
    /// group), which counter increases and time-weighted averages start from. A counter
    /// whose previous window is missing (an outage) starts from the last point before the
    /// gap, within the metric's retention (WindowStore+CounterGaps.swift).
    func previousPoint(of key: WindowKey, definition: MetricDefinition, metric m: Int) -> SamplePoint? {
        var previous = key
        previous.start = definition.period.windowStart(containing: key.start - TimeSpan(micros: 1))
        if let found = existingWindow(previous, metric: m) { return found.lastPoint }
        guard definition.aggregation == .increase else { return nil }
        return pointAcrossGap(before: key, definition: definition, metric: m)
    }

    /// Window `w` closed: the windows after it start from its last point.
    func noteClosed(_ w: WindowState, definition: MetricDefinition) {
        guard definition.aggregation == .increase || definition.aggregation == .timeWeightedAverage else { return }
        closedLastPoints[w.key] = w.accumulator.lastPoint
        if definition.aggregation == .increase, let last = w.accumulator.lastPoint {
            do { try counterMarks.note(w.key, last: last, store: store) } catch { readFailure = error }
        }
    }

    /// Writes the batch's dirty windows and counter marks into `txn`. `topics`: the input
    /// topics' names as bytes, by index (window records name their lineage's topics).
    func persist(into txn: StateTransaction, topics: [[UInt8]]) throws {
        // Each window is read in place and written straight into the space LMDB reserves
        // for it, its accumulator included; only its key goes through a buffer, reused.
        var keyBytes = [UInt8](repeating: 0, count: WindowKey.encodedSize)
        try cache.writeDirty { window in
            keyBytes.withUnsafeMutableBytes { window.key.encode(into: $0) }
            let accumulatorCount = window.accumulator.encodedCount
            let count = window.encodedCount(accumulatorCount: accumulatorCount, topics: topics)
            try txn.put(.windows, keyBytes, count: count, append: false) {
                window.encode(into: $0, accumulatorCount: accumulatorCount, topics: topics)
            }
        }
        try counterMarks.persist(into: txn)
    }

    /// After the commit: closed windows are durable, so memory keeps only open ones.
    func dropClosed() { cache.dropClosed() }

    /// Loads the open windows from the store and queues them to close.
    func restore(from txn: StateTransaction) throws {
        try txn.scan(.windows, from: []) { k, v in
            let key = try WindowKey(decoding: k)
            guard let m = catalog.index(of: key.metric) else { return true }
            let state = try WindowState(key: key, metric: m, decoding: v, topicIndex: topic(named:))
            guard !state.closed else { return true }
            cache.restore(state)
            closeQueue.push(state.bounds.end + catalog.metrics[m].definition.grace, key)
            return true
        }
    }

    /// Deletes the closed windows past their metric's retention at `clock` (those that start
    /// before `horizon` are looked at) and counter marks no window can start from any more,
    /// and forgets last points and cached marks older than three of the longest windows.
    func purgeExpired(clock: EventTime, horizon: EventTime, in txn: StateTransaction) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.windows, from: []) { k, v in
            let key = try WindowKey(decoding: k)
            guard key.start < horizon else { return false }
            guard let m = catalog.index(of: key.metric) else { doomed.append(Array(k)); return true }
            let definition = catalog.metrics[m].definition
            let end = try WindowState.end(ofRecord: v)
            if cache.slot(of: key) == nil, clock - (end + definition.grace) > definition.retention { doomed.append(Array(k)) }
            return true
        }
        for k in doomed { try txn.delete(.windows, k) }
        // Only the window just before a closing one is needed; older points are read
        // from the store on the rare late revision.
        let longestWindow = catalog.metrics.map { $0.definition.period.window(containing: clock).length.micros }.max() ?? 0
        let recent = clock - TimeSpan(micros: 3 * longestWindow)
        closedLastPoints.retain { key, _ in key.start >= recent }
        // A counter mark serves a window starting within retention of its point; the windows
        // that can still change start after clock − grace − retention − one period.
        try counterMarks.purge(in: txn, cacheHorizon: recent) { series, mark in
            guard let m = catalog.index(of: series.metric) else { return true }
            let d = catalog.metrics[m].definition
            return mark.point.time + d.retention + d.retention + d.grace + TimeSpan(micros: longestWindow) < clock
        }
    }
}
