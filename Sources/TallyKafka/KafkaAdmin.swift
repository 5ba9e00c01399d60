import CRdKafka

/// Topic administration and offset queries. Calls block for at most their timeout; use it
/// from a setup path or a tool, not from the consuming thread's hot loop.
public final class KafkaAdmin {
    private let client: OpaquePointer

    public init(config: KafkaConfig) throws {
        let conf = try config.makeNative()
        client = try makeClient(RD_KAFKA_PRODUCER, conf, context: "creating admin client")
    }

    deinit { rd_kafka_destroy(client) }

    /// Creates a topic. Returns `true` if it was created, `false` if it already existed
    /// (whatever its partition count; check `partitionCount(of:)` if that matters).
    @discardableResult
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1,
                            config: [String: String] = [:], timeoutMs: Int32 = 10_000) throws -> Bool {
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor),
                                                   &errorBuffer, errorBuffer.count) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: errorString(errorBuffer),
                             context: "describing new topic \"\(name)\"")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in config.sorted(by: { $0.key < $1.key }) {
            try check(rd_kafka_NewTopic_set_config(newTopic, key, value), "topic \"\(name)\" config \(key)=\(value)")
        }
        let options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        // Ask the broker to answer only once the topic exists, so it is usable right after.
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errorBuffer, errorBuffer.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errorBuffer, errorBuffer.count)

        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(client, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "create topic \"\(name)\"")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: eventError.rawValue, message: String(cString: rd_kafka_event_error_string(event)),
                             context: "create topic \"\(name)\"")
        }
        var count = 0
        let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
        for i in 0..<count {
            let result = results![i]
            let err = rd_kafka_topic_result_error(result)
            if err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { return false }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let detail = rd_kafka_topic_result_error_string(result).map { String(cString: $0) }
                throw KafkaError(code: err.rawValue, message: detail, context: "create topic \"\(name)\"")
            }
        }
        return true
    }

    /// Every topic the cluster reports, with its partition count.
    public func topics(timeoutMs: Int32 = 5_000) throws -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        // All topics rather than one: a request naming one topic may auto-create it.
        try check(rd_kafka_metadata(client, 1, nil, &metadata, timeoutMs), "fetch cluster metadata")
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [String: Int] = [:]
        let md = metadata!.pointee
        for i in 0..<Int(md.topic_cnt) {
            let topic = md.topics[i]
            if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                result[String(cString: topic.topic)] = Int(topic.partition_cnt)
            }
        }
        return result
    }

    /// The partition count of `topic`, or `nil` if it does not exist.
    public func partitionCount(of topic: String, timeoutMs: Int32 = 5_000) throws -> Int? {
        try topics(timeoutMs: timeoutMs)[topic]
    }

    /// The low (oldest retained) and high (next to be written) offsets of a partition,
    /// asked of the broker.
    public func watermarks(topic: String, partition: Int32, timeoutMs: Int32 = 5_000) throws -> (low: Int64, high: Int64) {
        var low: Int64 = -1
        var high: Int64 = -1
        try check(rd_kafka_query_watermark_offsets(client, topic, partition, &low, &high, timeoutMs),
                  "query watermarks of \(topic)[\(partition)]")
        return (low, high)
    }

    /// For each partition, the earliest offset whose timestamp is ≥ the given time (ms since
    /// the epoch), or -1 (the end) when no record is that recent.
    public func offsetsForTimes(topic: String, timestampsMs: [Int32: Int64], timeoutMs: Int32 = 5_000) throws -> [Int32: Int64] {
        let list = makePartitionList(timestampsMs.map {
            KafkaTopicPartitionOffset(topic: topic, partition: $0.key, offset: $0.value)
        })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_offsets_for_times(client, list, timeoutMs), "offsets for times in \(topic)")
        var result: [Int32: Int64] = [:]
        for (entry, err) in readPartitionList(list) {
            try check(err, "offset for time in \(topic)[\(entry.partition)]")
            result[entry.partition] = entry.offset
        }
        return result
    }
}
