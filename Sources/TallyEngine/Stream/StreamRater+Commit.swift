import TallyCore
import TallyThreads

extension StreamRater {
    /// Ends a batch: advances the clock, closes due windows, and commits windows,
    /// dedupe keys, symbols, offsets, clocks, the outbox and counters in one
    /// transaction. Returns the messages to send now that they are durable.
    public func commitBatch(wallNow: EventTime, endOfInput: Bool = false) throws -> [OutgoingMessage] {
        if let failure = windows.readFailure { throw failure }
        advanceClock(wallNow: wallNow, endOfInput: endOfInput)
        if partitions.closingClock != nil && !previewed.isEmpty { previewed = [:] }  // only needed before the clock exists
        if !predecoded.isEmpty { predecoded.removeAll() }  // a batch folds every record it previewed
        var started = monotonicNanos(), startedCPU = threadCPUNanos()
        closeDueWindows()
        phaseNanos["close", default: 0] += monotonicNanos() - started
        phaseCPUNanos["close", default: 0] += threadCPUNanos() - startedCPU
        try checkpointChains()
        started = monotonicNanos()
        startedCPU = threadCPUNanos()
        defer {
            phaseNanos["store", default: 0] += monotonicNanos() - started
            phaseCPUNanos["store", default: 0] += threadCPUNanos() - startedCPU
        }
        let due = lastMaintenance.map { wallNow - $0 >= settings.maintenanceInterval } ?? true
        let topics = topicNames
        try store.write { txn in
            try windows.persist(into: txn, topics: topicNameBytes)
            try dedupe.persist(into: txn)
            try tiers.persist(into: txn)
            var symbolError: Error?
            symbols.forEachSymbol(after: persistedSymbols) { symbol, bytes in
                guard symbolError == nil else { return }
                do { try txn.put(.symbols, StateLayout.symbolKey(symbol), Array(bytes), append: true) } catch { symbolError = error }
            }
            if let symbolError { throw symbolError }
            for (pid, next) in offsets {
                var w = ByteWriter(); w.i64(next)
                try txn.put(.offsets, StateLayout.offsetKey(topics[Int(pid.topic)], pid.partition), w.bytes, append: false)
            }
            for (pid, clock) in partitions.clocks {
                guard let c = clock.clock else { continue }
                var w = ByteWriter(); w.i64(c.micros); w.i64((clock.maxEventTime ?? c).micros)
                try txn.put(.meta, StateLayout.Meta.clock(topics[Int(pid.topic)], pid.partition), w.bytes, append: false)
            }
            if let g = partitions.closingClock { var w = ByteWriter(); w.i64(g.micros); try txn.put(.meta, StateLayout.Meta.globalClock, w.bytes, append: false) }
            try outbox.persist(into: txn)
            try txn.put(.meta, StateLayout.Meta.counters, counters.encoded(), append: false)
            for (key, value) in pendingMetaWrites { try txn.put(.meta, key, value, append: false) }
            if due, let clock = partitions.closingClock { try purgeExpired(clock: clock, in: txn) }
        }
        if due { lastMaintenance = wallNow }
        persistedSymbols = symbols.count
        pendingMetaWrites.removeAll()
        // Closed windows are durable now; memory keeps only open ones.
        windows.dropClosed()
        return outbox.committed()
    }

    /// The broker acknowledged `token`: its outbox entry is deleted with the next batch.
    public func acknowledge(_ token: UInt64) {
        outbox.acknowledge(token)
    }

    /// Deletes closed windows and dedupe keys past every metric's retention.
    private func purgeExpired(clock: EventTime, in txn: StateTransaction) throws {
        let longest = TimeSpan(micros: catalog.metrics.map { $0.definition.retention.micros + $0.definition.grace.micros }.max() ?? 0)
        guard clock.micros > Int64.min / 2, clock.micros < Int64.max / 2 else { return }
        let horizon = clock - longest
        try windows.purgeExpired(clock: clock, horizon: horizon, in: txn)
        try dedupe.expire(before: horizon - .days(1), in: txn)
    }
}
