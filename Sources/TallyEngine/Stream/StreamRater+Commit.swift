import TallyCore

extension StreamRater {
    enum MetaKey {
        static let counters = Array("counters".utf8)
        static let outboxSequence = Array("outbox_sequence".utf8)
        static let globalClock = Array("global_clock".utf8)
        static func chainHead(_ partition: Int) -> [UInt8] { Array("chain_head/\(partition)".utf8) }
        static func clock(_ topic: String, _ partition: Int32) -> [UInt8] { Array("clock/\(topic)/\(partition)".utf8) }
    }

    static func offsetKey(_ topic: String, _ partition: Int32) -> [UInt8] {
        var w = ByteWriter(); w.string(topic); w.i32(partition); return w.bytes
    }

    /// Ends a batch: advances the clock, closes due windows, and commits windows,
    /// dedupe keys, symbols, offsets, clocks, the outbox and counters in one
    /// transaction. Returns the messages to send now that they are durable.
    public func commitBatch(wallNow: EventTime, endOfInput: Bool = false) throws -> [OutgoingMessage] {
        if let failure = storeFailure { throw failure }
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
            // Each window is read in place and written straight into the space LMDB reserves
            // for it; only its key and its accumulator's bytes go through buffers, reused.
            var keyBytes = ByteWriter(capacity: WindowKey.encodedSize), accumulatorBytes: [UInt8] = []
            accumulatorBytes.reserveCapacity(256)
            try cache.writeDirty { window in
                keyBytes.bytes.removeAll(keepingCapacity: true)
                window.key.encode(into: &keyBytes)
                accumulatorBytes.removeAll(keepingCapacity: true)
                window.accumulator.encode(into: &accumulatorBytes)
                let count = window.encodedCount(accumulatorCount: accumulatorBytes.count, topics: topicNameBytes)
                try txn.put(.windows, keyBytes.bytes, count: count, append: false) {
                    window.encode(into: $0, accumulator: accumulatorBytes, topics: topicNameBytes)
                }
            }
            try dedupe.persist(into: txn)
            try tiers.persist(into: txn)
            try counterMarks.persist(into: txn)
            var symbolError: Error?
            symbols.forEachSymbol(after: persistedSymbols) { symbol, bytes in
                guard symbolError == nil else { return }
                var key = ByteWriter(capacity: 4); key.u32(symbol.raw)
                do { try txn.put(.symbols, key.bytes, Array(bytes), append: true) } catch { symbolError = error }
            }
            if let symbolError { throw symbolError }
            for (pid, next) in offsets {
                var w = ByteWriter(); w.i64(next)
                try txn.put(.offsets, StreamRater.offsetKey(topics[Int(pid.topic)], pid.partition), w.bytes, append: false)
            }
            for (pid, clock) in partitions.clocks {
                guard let c = clock.clock else { continue }
                var w = ByteWriter(); w.i64(c.micros); w.i64((clock.maxEventTime ?? c).micros)
                try txn.put(.meta, MetaKey.clock(topics[Int(pid.topic)], pid.partition), w.bytes, append: false)
            }
            if let g = partitions.closingClock { var w = ByteWriter(); w.i64(g.micros); try txn.put(.meta, MetaKey.globalClock, w.bytes, append: false) }
            for i in newOutbox.indices {
                // Encoded straight into the page LMDB reserves: the ~2 KB frame is copied once.
                try txn.put(.outbox, OutboxEntry.key(sequence: newOutbox[i].0), count: newOutbox[i].1.encodedCount,
                            append: true) { newOutbox[i].1.encode(into: $0) }
            }
            for sequence in acknowledged { try txn.delete(.outbox, OutboxEntry.key(sequence: sequence)) }
            var seq = ByteWriter(); seq.u64(outboxSequence)
            try txn.put(.meta, MetaKey.outboxSequence, seq.bytes, append: false)
            for (p, head) in chainHeads.enumerated() { try txn.put(.meta, MetaKey.chainHead(p), Array(head.utf8), append: false) }
            try txn.put(.meta, MetaKey.counters, counters.encoded(), append: false)
            for (key, value) in pendingMetaWrites { try txn.put(.meta, key, value, append: false) }
            if due, let clock = partitions.closingClock { try purgeExpired(clock: clock, in: txn) }
        }
        if due { lastMaintenance = wallNow }
        persistedSymbols = symbols.count
        pendingMetaWrites.removeAll()
        acknowledged.removeAll(keepingCapacity: true)
        // Closed windows are durable now; memory keeps only open ones.
        cache.dropClosed()
        let messages = newOutbox.map { sequence, entry in
            OutgoingMessage(topic: entry.topic, partition: entry.partition, key: entry.key, value: entry.value, token: sequence)
        }
        newOutbox.removeAll(keepingCapacity: true)
        return messages
    }

    /// The broker acknowledged `token`: its outbox entry is deleted with the next batch.
    public func acknowledge(_ token: UInt64) {
        acknowledged.append(token)
        unacknowledged -= 1
    }

    /// Deletes closed windows and dedupe keys past every metric's retention.
    private func purgeExpired(clock: EventTime, in txn: StateTransaction) throws {
        let longest = TimeSpan(micros: catalog.metrics.map { $0.definition.retention.micros + $0.definition.grace.micros }.max() ?? 0)
        guard clock.micros > Int64.min / 2, clock.micros < Int64.max / 2 else { return }
        let horizon = clock - longest
        var doomed: [[UInt8]] = []
        try txn.scan(.windows, from: []) { k, v in
            let key = try WindowKey(decoding: k)
            guard key.start < horizon else { return false }
            guard let m = catalog.index(of: key.metric) else { doomed.append(Array(k)); return true }
            let definition = catalog.metrics[m].definition
            var r = ByteReader(v, what: "window record")
            _ = try r.u8()
            let end = EventTime(micros: try r.i64())
            if cache.slot(of: key) == nil, clock - (end + definition.grace) > definition.retention { doomed.append(Array(k)) }
            return true
        }
        for k in doomed { try txn.delete(.windows, k) }
        // Only the window just before a closing one is needed; older points are read
        // from the store on the rare late revision.
        let longestWindow = catalog.metrics.map { $0.definition.period.window(containing: clock).length.micros }.max() ?? 0
        let recent = clock - TimeSpan(micros: 3 * longestWindow)
        closedLastPoints = closedLastPoints.filter { $0.key.start >= recent }
        // A counter mark serves a window starting within retention of its point; the windows
        // that can still change start after clock − grace − retention − one period.
        try counterMarks.purge(in: txn, cacheHorizon: recent) { series, mark in
            guard let m = catalog.index(of: series.metric) else { return true }
            let d = catalog.metrics[m].definition
            return mark.point.time + d.retention + d.retention + d.grace + TimeSpan(micros: longestWindow) < clock
        }
        try dedupe.expire(before: horizon - .days(1), in: txn)
    }
}
