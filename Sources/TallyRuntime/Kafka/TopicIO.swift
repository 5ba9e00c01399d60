import TallyKafka

/// Whole-topic produce and read, for the demo, reports and tools (not the hot path).
public enum TopicIO {
    public struct Record: Sendable {
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]?
        public var value: [UInt8]

        public init(partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]) {
            self.partition = partition
            self.offset = offset
            self.key = key
            self.value = value
        }
    }

    /// Produces every value (partitioned by key, or spread when keys are nil) and
    /// waits for every acknowledgement; throws the first failure.
    public static func produce(_ values: [[UInt8]], keys: [[UInt8]]? = nil, topic: String,
                               bootstrapServers: String, partitions: Int32? = nil) throws {
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: bootstrapServers))
        let handle = try producer.topic(topic)
        var failure: KafkaError?
        let onDelivery: (KafkaDeliveryReport) -> Void = { if let e = $0.error, failure == nil { failure = e } }
        for (i, value) in values.enumerated() {
            let partition = partitions.map { Int32(i % Int($0)) }
            while true {
                do {
                    try producer.produce(to: handle, partition: keys == nil ? partition : nil, key: keys?[i], value: value,
                                         token: UInt64(i))
                    break
                } catch let error as KafkaError where error.isQueueFull {
                    producer.poll(timeoutMs: 10, onDelivery)
                }
            }
        }
        try producer.flush(timeoutMs: 60_000, onDelivery)
        if let failure { throw failure }
    }

    /// Every record of `topic`, read from the beginning to the current end of each partition.
    /// `from` gives a partition's first offset to read (default: its beginning).
    public static func readAll(topic: String, bootstrapServers: String, from: [Int32: Int64] = [:],
                               timeoutMs: Int64 = 60_000) throws -> [Record] {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers))
        guard let count = try admin.partitionCount(of: topic), count > 0 else { return [] }
        var remaining = Set<Int32>()
        for p in 0..<Int32(count) where try admin.watermarks(topic: topic, partition: p).high > (from[p] ?? 0) { remaining.insert(p) }
        guard !remaining.isEmpty else { return [] }
        var config = KafkaConfig(bootstrapServers: bootstrapServers)
        config["receive.message.max.bytes"] = "1073741824"  // brokers may exceed fetch.max.bytes
        let consumer = try KafkaConsumer(config: config,
                                         groupID: "tally-reader", reportEndOfPartition: true)
        defer { consumer.close() }  // an idle consumer spins on some brokers: close promptly
        try consumer.assign(remaining.sorted().map { (topic, $0, from[$0].map(KafkaOffset.exact) ?? .beginning) })
        let batch = KafkaRecordBatch(capacity: 4096)
        var records: [Record] = []
        let deadline = WallClock.monotonicMillis() + timeoutMs
        while !remaining.isEmpty {
            guard WallClock.monotonicMillis() < deadline else {
                throw KafkaError(code: -185, message: "partitions \(remaining.sorted()) did not reach their end",
                                 context: "reading \(topic)")
            }
            try consumer.poll(into: batch, timeoutMs: 100)
            if let error = batch.errors.first { throw error }
            for r in batch { records.append(Record(partition: r.partition, offset: r.offset, key: r.key.map { Array($0) }, value: Array(r.value))) }
            for end in batch.partitionEnds { remaining.remove(end.partition) }
            batch.release()
        }
        return records.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }
}
