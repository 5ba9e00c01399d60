import CRdKafka

/// A reusable buffer of consumed messages. `KafkaConsumer.poll(into:)` fills it; the
/// records point into librdkafka's buffers (no copy) and are freed on the next fill,
/// `release()`, or deinit. Create one per consuming thread and reuse it.
///
/// Non-record events of the same poll are split out: `partitionEnds` (EOF markers) and
/// `errors` (per-partition consumer errors such as an offset out of range).
public final class KafkaRecordBatch: RandomAccessCollection {
    public let capacity: Int
    private let messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    /// Number of data records held.
    public private(set) var count = 0
    /// Partitions whose end was reached during the last fill.
    public private(set) var partitionEnds: [KafkaPartitionEnd] = []
    /// Consumer errors delivered during the last fill, in order.
    public private(set) var errors: [KafkaError] = []
    /// Keeps the client alive while its messages are held (they reference it).
    private var owner: ConsumerClient?

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0, "KafkaRecordBatch capacity must be positive")
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
    }

    deinit {
        release()
        messages.deallocate()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> KafkaRecord {
        precondition(position >= 0 && position < count, "KafkaRecordBatch index \(position) out of 0..<\(count)")
        return KafkaRecord(message: messages[position]!)
    }

    /// Frees every held message back to librdkafka. Records read earlier become invalid.
    public func release() {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        count = 0
        partitionEnds.removeAll(keepingCapacity: true)
        errors.removeAll(keepingCapacity: true)
        owner = nil
    }

    /// Forgets the end-of-partition events of this fill: a consumer parks on them even when
    /// its caller did not ask for them (EndOfPartitionParking.swift), and then hides them.
    func dropPartitionEnds() {
        partitionEnds.removeAll(keepingCapacity: true)
    }

    /// Fills from the client's consumer queue, waiting up to `timeoutMs` for the first message.
    func fill(from client: ConsumerClient, maxRecords: Int, timeoutMs: Int32) throws {
        release()
        owner = client
        let limit = Swift.min(maxRecords, capacity)
        let received = rd_kafka_consume_batch_queue(client.queue, timeoutMs, messages, limit)
        if received < 0 {
            throw KafkaError(rd_kafka_last_error(), context: "consume batch")
        }
        // Compact data records to the front; turn events into values and free them now.
        for i in 0..<received {
            let message = messages[i]!
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                messages[count] = message
                count += 1
                continue
            }
            let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                partitionEnds.append(KafkaPartitionEnd(topic: topic, partition: m.partition, offset: m.offset))
            } else {
                let detail = String(cString: rd_kafka_message_errstr(message))
                let partition = m.rkt == nil || m.partition < 0
                    ? nil : KafkaTopicPartitionOffset(topic: topic, partition: m.partition, offset: m.offset)
                errors.append(KafkaError(code: m.err.rawValue, message: detail,
                                         context: "consume \(topic)[\(m.partition)] at offset \(m.offset)",
                                         isFatal: m.err == RD_KAFKA_RESP_ERR__FATAL, partition: partition))
            }
            rd_kafka_message_destroy(message)
        }
    }
}
