import Foundation
import TallyKafka

/// A record read back by `KafkaTestIO.consumeAll`, copied out of librdkafka's buffers.
public struct ConsumedRecord: Equatable, Sendable {
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var timestampMs: Int64?
}

/// Blocking produce/consume helpers for tests and benchmarks; any Kafka-protocol broker.
public enum KafkaTestIO {
    /// Produces `values` (with `keys[i]` if given) and waits for every ack. Throws the first
    /// failed delivery. Returns the reports in token (= value index) order.
    @discardableResult
    public static func produce(_ values: [[UInt8]], keys: [[UInt8]]? = nil, to topic: String,
                               partition: Int32? = nil, bootstrapServers: String,
                               timeoutMs: Int32 = 30_000) throws -> [KafkaDeliveryReport] {
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: bootstrapServers))
        let handle = try producer.topic(topic)
        var reports: [KafkaDeliveryReport] = []
        reports.reserveCapacity(values.count)
        let collect: (KafkaDeliveryReport) -> Void = { reports.append($0) }
        for (index, value) in values.enumerated() {
            while true {
                do {
                    try producer.produce(to: handle, partition: partition, key: keys?[index], value: value,
                                         token: UInt64(index))
                    break
                } catch let error as KafkaError where error.isQueueFull {
                    producer.poll(timeoutMs: 10, collect)
                }
            }
            producer.poll(timeoutMs: 0, collect)
        }
        try producer.flush(timeoutMs: timeoutMs, collect)
        if let failed = reports.first(where: { $0.error != nil }) { throw failed.error! }
        return reports.sorted { $0.token < $1.token }
    }

    /// Reads every partition of `topic` from `from` (per partition; default the beginning)
    /// to its current end, detected with partition-EOF events. Throws on consumer errors or
    /// when `timeoutSeconds` passes first. Records are in (partition, offset) order.
    public static func consumeAll(topic: String, partitions: Int32, from offsets: [Int32: Int64] = [:],
                                  bootstrapServers: String, timeoutSeconds: Double = 30) throws -> [ConsumedRecord] {
        let consumer = try KafkaConsumer(config: BrokerProcess.clientConfig(bootstrapServers: bootstrapServers),
                                         groupID: "tally-test-\(UUID().uuidString)", reportEndOfPartition: true)
        defer { consumer.close() }  // an idle consumer spins on noida-db: close promptly
        try consumer.assign((0..<partitions).map {
            (topic, $0, offsets[$0].map(KafkaOffset.exact) ?? .beginning)
        })
        var records: [ConsumedRecord] = []
        var drained = Set<Int32>()
        let batch = KafkaRecordBatch(capacity: 5_000)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while drained.count < partitions {
            guard Date() < deadline else {
                throw KafkaError(code: -185, message: "only partitions \(drained.sorted()) reached their end",
                                 context: "consume all of \(topic) within \(timeoutSeconds) s")
            }
            try consumer.poll(into: batch, timeoutMs: 200)
            if let error = batch.errors.first { throw error }
            for record in batch {
                records.append(ConsumedRecord(partition: record.partition, offset: record.offset,
                                              key: record.key.map { Array($0) }, value: Array(record.value),
                                              timestampMs: record.timestampMs))
            }
            for end in batch.partitionEnds { drained.insert(end.partition) }
        }
        batch.release()
        return records.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }
}
