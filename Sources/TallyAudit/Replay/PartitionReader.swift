import TallyCore
import TallyKafka
import TallyRuntime

/// Reads topics partition by partition, in partition then offset order (the order a
/// whole-topic read sorted into), and hands each record to the caller in place, straight
/// from librdkafka's buffers: nothing of a topic is held beyond one fetched batch.
public enum PartitionReader {
    /// One partition's records to read: `[from, end)`, the end fixed when it was planned, so
    /// that reading the same plan twice (verify replays once per rule-book version) sees the
    /// same records however much the topic has grown since.
    public struct Range: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var from: Int64
        public var end: Int64
    }

    /// Every partition of `topic` with records, from `from[p]` (default: its beginning) to
    /// its current high watermark.
    public static func plan(topic: String, bootstrapServers: String, from: [Int32: Int64] = [:]) throws -> [Range] {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers))
        guard let count = try admin.partitionCount(of: topic), count > 0 else { return [] }
        var out: [Range] = []
        for p in 0..<Int32(count) {
            let marks = try admin.watermarks(topic: topic, partition: p)
            let start = max(from[p] ?? marks.low, marks.low)
            if marks.high > start { out.append(Range(topic: topic, partition: p, from: start, end: marks.high)) }
        }
        return out
    }

    /// Calls `body` for every record of `topic`, from the beginning to the current end of
    /// each partition, in partition then offset order (what `TopicIO.readAll` returns), with
    /// the record's value in place: valid only during the call.
    public static func forEachRecord(of topic: String, bootstrapServers: String,
                                     _ body: (_ partition: Int32, _ offset: Int64, _ value: UnsafeRawBufferPointer) throws -> Void) throws {
        try forEach(try plan(topic: topic, bootstrapServers: bootstrapServers), bootstrapServers: bootstrapServers) { record, _ in
            try body(record.partition, record.offset, record.value)
        }
    }

    /// Calls `body` for every record of `ranges`, one range after the other, each in offset
    /// order. A record is valid only during the call. Throws when the broker sends nothing
    /// for `timeoutMs` before a partition's end.
    public static func forEach(_ ranges: [Range], bootstrapServers: String, timeoutMs: Int64 = 60_000,
                               _ body: (KafkaRecord, Range) throws -> Void) throws {
        guard !ranges.isEmpty else { return }
        var config = KafkaConfig(bootstrapServers: bootstrapServers)
        config["receive.message.max.bytes"] = "1073741824"  // brokers may exceed fetch.max.bytes
        // One partition is read at a time, and what is fetched ahead of the fold is memory:
        // a bounded read-ahead instead of the live rater's 256 MiB per partition.
        config["queued.max.messages.kbytes"] = "16384"
        let consumer = try KafkaConsumer(config: config, groupID: "tally-reader", reportEndOfPartition: true)
        defer { consumer.close() }  // an idle consumer spins on some brokers: close promptly
        let batch = KafkaRecordBatch(capacity: 4096)
        for range in ranges {
            try consumer.assign([(range.topic, range.partition, KafkaOffset.exact(range.from))])
            // A deadline for the broker's silence, not for the whole partition: `body` may take
            // long (a replay folds every record of a big partition here).
            var deadline = WallClock.monotonicMillis() + timeoutMs
            var done = false
            while !done {
                guard WallClock.monotonicMillis() < deadline else {
                    throw KafkaError(code: -185, message: "partition \(range.partition) did not reach offset \(range.end): "
                                         + "nothing arrived for \(timeoutMs) ms", context: "reading \(range.topic)")
                }
                try consumer.poll(into: batch, timeoutMs: 100)
                if let error = batch.errors.first { throw error }
                if !batch.isEmpty { deadline = WallClock.monotonicMillis() + timeoutMs }
                for record in batch where record.partition == range.partition && record.offset < range.end {
                    try body(record, range)
                    if record.offset >= range.end - 1 { done = true }
                }
                // The end of the partition as the broker sees it: past `end`, or control
                // records (transactions) with no data record at `end − 1`.
                if batch.partitionEnds.contains(where: { $0.partition == range.partition && $0.topic == range.topic }) { done = true }
                batch.release()
            }
        }
    }
}
