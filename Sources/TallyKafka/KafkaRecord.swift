import CRdKafka

/// One consumed record, read in place from librdkafka's message: nothing is copied until
/// you ask (`topic` and `header(named:)` allocate; the rest do not). Valid only while the
/// `KafkaRecordBatch` it came from holds it (until the batch's next fill or `release()`).
public struct KafkaRecord {
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }

    /// The record's timestamp in ms since the epoch (create or log-append time), or `nil`.
    public var timestampMs: Int64? {
        let ms = rd_kafka_message_timestamp(message, nil)
        return ms == -1 ? nil : ms
    }

    /// The key bytes, `nil` for a record without a key.
    public var key: UnsafeRawBufferPointer? {
        guard let pointer = message.pointee.key else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: message.pointee.key_len)
    }

    /// The value bytes (empty for a null value).
    public var value: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.len)
    }

    /// The topic name (allocates a String).
    public var topic: String { String(cString: rd_kafka_topic_name(message.pointee.rkt)) }

    /// The value of the last header called `name`, copied, or `nil`.
    public func header(named name: String) -> [UInt8]? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer?
        var size = 0
        guard rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return Array(UnsafeRawBufferPointer(start: value, count: size))
    }

    /// The value of the last header called `name`, in place (nothing copied, no String
    /// made: for the per-record path), or `nil`. Valid as long as `value` is. A header
    /// with a null value reads as empty.
    public func headerBytes(named name: StaticString) -> UnsafeRawBufferPointer? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer?
        var size = 0
        // A StaticString's bytes are NUL-terminated, as librdkafka wants the name.
        let found = UnsafeRawPointer(name.utf8Start).withMemoryRebound(to: CChar.self, capacity: name.utf8CodeUnitCount + 1) {
            rd_kafka_header_get_last(headers, $0, &value, &size)
        }
        guard found == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : size)
    }
}

/// The consumer reached the current end of a partition (`enable.partition.eof`): every
/// record below `offset` has been delivered. Reported again after new records arrive.
public struct KafkaPartitionEnd: Hashable, Sendable {
    public let topic: String
    public let partition: Int32
    /// The next offset to be produced (the high watermark at that moment).
    public let offset: Int64
}
