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
                let id = try StateLayout.symbolID(decoding: k)
                guard symbols.restore(v, as: Symbol(raw: id)) else {
                    throw StateCorruption(detail: "symbol \(id) does not follow symbol \(symbols.count)")
                }
                return true
            }
            persistedSymbols = symbols.count
            if let c = try txn.get(.meta, StateLayout.Meta.counters) { counters = try c.withUnsafeBytes { try Counters(decoding: $0) } }
            if let g = try txn.get(.meta, StateLayout.Meta.globalClock) {
                partitions.restoreClosingClock(
                    EventTime(micros: try g.withUnsafeBytes { var r = ByteReader($0, what: "global clock"); return try r.i64() }))
            }
            for (i, input) in settings.inputs.enumerated() {
                try txn.scan(.offsets, from: StateLayout.offsetKey(input.topic, Int32.min)) { k, v in
                    let (topic, partition) = try StateLayout.offsetPartition(decoding: k)
                    guard topic == input.topic else { return false }
                    var vr = ByteReader(v, what: "offset")
                    let next = try vr.i64()
                    let pid = PartitionID(topic: UInt16(i), partition: partition)
                    offsets[pid] = next
                    positions.append(PartitionPosition(topic: input.topic, partition: partition, offset: next))
                    if let c = try txn.get(.meta, StateLayout.Meta.clock(input.topic, partition)) {
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
            try windows.restore(from: txn)
            try dedupe.restore(from: txn)
            try tiers.restore(from: txn)
            resend = try outbox.restore(from: txn)
        }
        return (resend, positions)
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
