import TallyEngine
import TallyKafka
import TallyRuntime

/// Brings a group task's LMDB cache up to date from its changelog partition before the
/// task runs (docs/SCALE.md): the cache is trusted up to its stamp (the last changelog
/// offset it includes); what follows is read (`read_committed`) to the partition's end
/// and applied. A stamp beyond the end (the topic was recreated) or below its start, or
/// no cache, means the cache is wiped and the whole partition applied.
struct ChangelogRestore {
    struct Outcome {
        /// Changelog records applied.
        var applied = 0
        /// Bytes of those records (keys and values).
        var bytes = 0
        /// The stamp the cache had (nil: none), and whether the cache was wiped.
        var stampBefore: Int64?
        var wiped = false
        var millis: Int64 = 0
    }

    let kafka: KafkaConfig
    let topic: String
    let partition: Int32
    /// Reports progress (offset reached, end) during a long restore.
    var progress: (_ offset: Int64, _ end: Int64) -> Void = { _, _ in }

    func run(into store: LMDBStateStore, timeoutMs: Int64 = 300_000) throws -> Outcome {
        let started = WallClock.monotonicMillis()
        var outcome = Outcome()
        outcome.stampBefore = try Self.stamp(of: store)
        let admin = try KafkaAdmin(config: kafka)
        let (low, high) = try admin.watermarks(topic: topic, partition: partition)
        var from: Int64
        if let stamp = outcome.stampBefore, stamp + 1 <= high, stamp + 1 >= low {
            from = stamp + 1
        } else {
            // No cache, or one from another incarnation of the topic: start afresh.
            outcome.wiped = outcome.stampBefore != nil
            try store.clear()
            from = low
        }
        if from < high {
            let consumer = try KafkaConsumer(config: kafka, groupID: "tally-restore", reportEndOfPartition: true)
            defer { consumer.close() }  // an idle consumer spins on some brokers: close promptly
            try consumer.assign([(topic, partition, .exact(from))])
            let batch = KafkaRecordBatch(capacity: 4096)
            defer { batch.release() }
            let deadline = started + timeoutMs
            var atEnd = false
            while !atEnd {
                try consumer.poll(into: batch, timeoutMs: 100)
                for error in batch.errors where error.isFatal { throw error }
                var last: Int64?
                if !batch.isEmpty {
                    try store.write { txn in
                        for record in batch {
                            let change = try ChangelogRecord.decode(key: record.key, value: record.value, offset: record.offset)
                            if let value = change.value {
                                try txn.put(change.table, change.key, value, append: false)
                            } else {
                                try txn.delete(change.table, change.key)
                            }
                            outcome.applied += 1
                            outcome.bytes += (record.key?.count ?? 0) + record.value.count
                            last = record.offset
                        }
                        if let last { try txn.put(.meta, ChangelogRecord.stampKey, Self.encode(last), append: false) }
                    }
                }
                if let last { progress(last, high) }
                atEnd = batch.partitionEnds.contains { $0.partition == partition }
                if !atEnd && WallClock.monotonicMillis() > deadline {
                    throw GroupModeError("restoring \(topic)[\(partition)] from offset \(from): not at its end "
                        + "(\(high)) after \(timeoutMs) ms")
                }
            }
        }
        outcome.millis = WallClock.monotonicMillis() - started
        return outcome
    }

    static func stamp(of store: LMDBStateStore) throws -> Int64? {
        try store.read { txn in
            try txn.get(.meta, ChangelogRecord.stampKey).map { bytes in
                try bytes.withUnsafeBytes { var r = ByteReader($0, what: "changelog stamp"); return try r.i64() }
            }
        }
    }

    static func encode(_ offset: Int64) -> [UInt8] { var w = ByteWriter(); w.i64(offset); return w.bytes }
}
