import CRdKafka

/// Where to start reading a partition.
public enum KafkaOffset: Equatable, Sendable {
    /// The oldest retained record.
    case beginning
    /// Only records produced after the assignment.
    case end
    /// Exactly this offset (the next record to read), e.g. one stored in LMDB.
    case exact(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: return -2  // RD_KAFKA_OFFSET_BEGINNING
        case .end: return -1        // RD_KAFKA_OFFSET_END
        case .exact(let offset): return offset
        }
    }
}

/// A partition of a topic together with an offset.
public struct KafkaTopicPartitionOffset: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Builds a native partition list; the caller destroys it.
func makePartitionList(_ entries: [KafkaTopicPartitionOffset]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
    let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
    for entry in entries {
        let element = rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition)!
        element.pointee.offset = entry.offset
    }
    return list
}

/// Reads a native partition list back, with each element's own error if it has one.
func readPartitionList(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>)
    -> [(KafkaTopicPartitionOffset, rd_kafka_resp_err_t)] {
    (0..<Int(list.pointee.cnt)).map { i in
        let element = list.pointee.elems[i]
        return (KafkaTopicPartitionOffset(topic: String(cString: element.topic),
                                          partition: element.partition, offset: element.offset),
                element.err)
    }
}
