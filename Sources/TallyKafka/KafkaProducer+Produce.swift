import CRdKafka

extension KafkaProducer {
    /// Enqueues one message; key and value are copied, so the buffers may be reused at once.
    ///
    /// - Parameters:
    ///   - partition: an explicit partition, or `nil` to hash the key with the configured
    ///     partitioner (`murmur2_random` by default: Java-compatible; random without a key).
    ///   - timestampMs: the record's create time in ms since the epoch; `nil` for now.
    ///   - token: returned in this message's `KafkaDeliveryReport`.
    public func produce(to topic: KafkaTopicHandle, partition: Int32? = nil,
                        key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                        headers: [KafkaHeader] = [], timestampMs: Int64? = nil, token: UInt64) throws {
        let nativeHeaders = headers.isEmpty ? nil : makeHeaders(headers)
        let error: OpaquePointer? = withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
            var count = 0
            func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                var vu = rd_kafka_vu_t()
                vu.vtype = type
                fill(&vu)
                vus.initializeElement(at: count, to: vu)
                count += 1
            }
            add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic.pointer }
            add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition ?? -1 }  // -1: RD_KAFKA_PARTITION_UA
            add(RD_KAFKA_VTYPE_VALUE) {
                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                $0.u.mem.size = value.count
            }
            if let key {
                add(RD_KAFKA_VTYPE_KEY) {
                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    $0.u.mem.size = key.count
                }
            }
            add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(token)) }
            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = 0x2 }  // RD_KAFKA_MSG_F_COPY
            if let timestampMs { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestampMs } }
            if let nativeHeaders { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = nativeHeaders } }
            return rd_kafka_produceva(handle, vus.baseAddress, count)
        }
        if let error {
            // Ownership of the headers passes to librdkafka only on success.
            if let nativeHeaders { rd_kafka_headers_destroy(nativeHeaders) }
            throw KafkaError(consuming: error, context: "produce to \(topic.name)[\(partition.map(String.init) ?? "by key")]")
        }
    }

    /// Copying convenience over `produce(to:partition:key:value:headers:timestampMs:token:)`.
    public func produce(to topic: KafkaTopicHandle, partition: Int32? = nil, key: [UInt8]?, value: [UInt8],
                        headers: [KafkaHeader] = [], timestampMs: Int64? = nil, token: UInt64) throws {
        try value.withUnsafeBytes { v in
            if let key {
                try key.withUnsafeBytes { k in
                    try produce(to: topic, partition: partition, key: k, value: v, headers: headers,
                                timestampMs: timestampMs, token: token)
                }
            } else {
                try produce(to: topic, partition: partition, key: nil, value: v, headers: headers,
                            timestampMs: timestampMs, token: token)
            }
        }
    }

    private func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer {
        let list = rd_kafka_headers_new(headers.count)!
        for header in headers {
            header.value.withUnsafeBytes { value in
                _ = rd_kafka_header_add(list, header.name, -1, value.baseAddress, value.count)
            }
        }
        return list
    }
}
