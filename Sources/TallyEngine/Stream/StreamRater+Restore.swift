import TallyCore

extension StreamRater {
    /// Loads the durable state: symbols, counters, clocks, offsets, open windows,
    /// dedupe keys. Returns the messages still in the outbox (to send again) and
    /// the stored position of every partition the rater has read before.
    public func restore(wallNow: EventTime) throws -> (resend: [OutgoingMessage], positions: [PartitionPosition]) {
        var resend: [OutgoingMessage] = []
        var positions: [PartitionPosition] = []
        try store.read { txn in
            try txn.scan(.symbols, from: []) { k, v in
                var r = ByteReader(k, what: "symbol id")
                let id = try r.u32()
                guard symbols.restore(v, as: Symbol(raw: id)) else {
                    throw StateCorruption(detail: "symbol \(id) does not follow symbol \(symbols.count)")
                }
                return true
            }
            persistedSymbols = symbols.count
            if let c = try txn.get(.meta, MetaKey.counters) { counters = try c.withUnsafeBytes { try Counters(decoding: $0) } }
            if let s = try txn.get(.meta, MetaKey.outboxSequence) {
                outboxSequence = try s.withUnsafeBytes { var r = ByteReader($0, what: "outbox sequence"); return try r.u64() }
            }
            if let g = try txn.get(.meta, MetaKey.globalClock) {
                partitions.restoreClosingClock(
                    EventTime(micros: try g.withUnsafeBytes { var r = ByteReader($0, what: "global clock"); return try r.i64() }))
            }
            for p in chainHeads.indices {
                if let h = try txn.get(.meta, MetaKey.chainHead(p)) { chainHeads[p] = String(decoding: h, as: UTF8.self) }
            }
            for (i, input) in settings.inputs.enumerated() {
                try txn.scan(.offsets, from: StreamRater.offsetKey(input.topic, Int32.min)) { k, v in
                    var kr = ByteReader(k, what: "offset key")
                    guard try kr.string() == input.topic else { return false }
                    let partition = try kr.i32()
                    var vr = ByteReader(v, what: "offset")
                    let next = try vr.i64()
                    let pid = PartitionID(topic: UInt16(i), partition: partition)
                    offsets[pid] = next
                    positions.append(PartitionPosition(topic: input.topic, partition: partition, offset: next))
                    if let c = try txn.get(.meta, MetaKey.clock(input.topic, partition)) {
                        let (clock, maxEvent) = try c.withUnsafeBytes { b -> (Int64, Int64) in
                            var r = ByteReader(b, what: "partition clock"); return (try r.i64(), try r.i64())
                        }
                        var restored = PartitionClock(clock: EventTime(micros: maxEvent))
                        if clock > maxEvent { restored.observe(eventTime: EventTime(micros: clock), wallTime: wallNow) }
                        restored.noteActivity(wallTime: wallNow)  // idle time counts from the restart
                        partitions.restore(pid, clock: restored)
                    }
                    return true
                }
            }
            try txn.scan(.windows, from: []) { k, v in
                let key = try WindowKey(decoding: k)
                guard let m = catalog.index(of: key.metric) else { return true }
                let state = try WindowState(key: key, metric: m, decoding: v, topicIndex: topicIndex(named:))
                guard !state.closed else { return true }
                cache.restore(state)
                closeQueue.push(state.bounds.end + catalog.metrics[m].definition.grace, key)
                return true
            }
            try dedupe.restore(from: txn)
            try tiers.restore(from: txn)
            try txn.scan(.outbox, from: []) { k, v in
                var r = ByteReader(k, what: "outbox key")
                let sequence = try r.u64()
                let entry = try OutboxEntry(decoding: v)
                resend.append(OutgoingMessage(topic: entry.topic, partition: entry.partition, key: entry.key,
                                              value: entry.value, token: sequence))
                return true
            }
        }
        unacknowledged = resend.count
        return (resend, positions)
    }

    func topicIndex(named topic: String) -> UInt16 {
        topicIndex[topic] ?? 0
    }

    /// A closed window from the store, reopened by a late sample.
    func loadWindow(_ key: WindowKey, metric m: Int) throws -> WindowState? {
        try store.read { txn in
            guard let bytes = try txn.get(.windows, key.encoded) else { return nil }
            return try bytes.withUnsafeBytes { try WindowState(key: key, metric: m, decoding: $0, topicIndex: topicIndex(named:)) }
        }
    }
}

extension StreamRater {
    /// The next offset to read of every partition folded so far (for lag monitoring).
    public var positions: [PartitionPosition] {
        offsets.sorted { $0.key < $1.key }.map {
            PartitionPosition(topic: settings.inputs[Int($0.key.topic)].topic, partition: $0.key.partition, offset: $0.value)
        }
    }
}
