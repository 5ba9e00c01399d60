import TallyKafka
import TallyRuntime

/// Reads given offset ranges of topic partitions back from Kafka (for `tally trace`):
/// only those records, not the whole topic.
public enum OffsetRangeReader {
    /// One inclusive range of offsets of one partition.
    public struct Range: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var first: Int64
        public var last: Int64
        public init(topic: String, partition: Int32, first: Int64, last: Int64) {
            self.topic = topic; self.partition = partition; self.first = first; self.last = last
        }
    }

    /// The records of every range, by range, in offset order. A range whose records are
    /// gone (retention) ends early: the partition's end or a missing offset stops it.
    public static func read(_ ranges: [Range], bootstrapServers: String, timeoutMs: Int64 = 60_000)
        throws -> [Range: [TopicIO.Record]] {
        let ranges = ranges.filter { $0.last >= $0.first }
        guard !ranges.isEmpty else { return [:] }
        var out: [Range: [TopicIO.Record]] = [:]
        // One partition may appear in several ranges (several topics are separate keys).
        struct Partition: Hashable { var topic: String; var partition: Int32 }
        var wanted: [Partition: (first: Int64, last: Int64)] = [:]
        for r in ranges {
            let p = Partition(topic: r.topic, partition: r.partition)
            let w = wanted[p] ?? (r.first, r.last)
            wanted[p] = (min(w.first, r.first), max(w.last, r.last))
        }
        var config = KafkaConfig(bootstrapServers: bootstrapServers)
        config["receive.message.max.bytes"] = "1073741824"
        let consumer = try KafkaConsumer(config: config, groupID: "tally-trace", reportEndOfPartition: true)
        defer { consumer.close() }
        try consumer.assign(wanted.map { ($0.key.topic, $0.key.partition, KafkaOffset.exact($0.value.first)) })
        var remaining = Set(wanted.keys)
        let batch = KafkaRecordBatch(capacity: 4096)
        let deadline = WallClock.monotonicMillis() + timeoutMs
        while !remaining.isEmpty {
            guard WallClock.monotonicMillis() < deadline else {
                throw KafkaError(code: -185, message: "offsets not reached in \(remaining.map { "\($0.topic)[\($0.partition)]" }.sorted())",
                                 context: "reading lineage ranges")
            }
            try consumer.poll(into: batch, timeoutMs: 100)
            if let error = batch.errors.first { throw error }
            for r in batch {
                let p = Partition(topic: r.topic, partition: r.partition)
                guard let w = wanted[p], remaining.contains(p) else { continue }
                if r.offset >= w.last { remaining.remove(p) }
                guard r.offset <= w.last else { continue }
                let record = TopicIO.Record(partition: r.partition, offset: r.offset, key: r.key.map { Array($0) }, value: Array(r.value))
                for range in ranges where range.topic == r.topic && range.partition == r.partition
                    && range.first <= r.offset && r.offset <= range.last {
                    out[range, default: []].append(record)
                }
            }
            for end in batch.partitionEnds { remaining.remove(Partition(topic: end.topic, partition: end.partition)) }
            batch.release()
        }
        return out
    }
}
