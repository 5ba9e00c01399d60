import CRdKafka

/// Every failure of the Kafka adapter: librdkafka's error code, its symbolic name
/// (`rd_kafka_err2name`, e.g. `"_QUEUE_FULL"`, `"UNKNOWN_TOPIC_OR_PART"`), a message, and
/// where it happened (`context`, e.g. `"produce to usage[3]"`).
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// The raw `rd_kafka_resp_err_t` value. Negative codes are client-side (`RD_KAFKA_RESP_ERR__*`).
    public let code: Int32
    /// `rd_kafka_err2name(code)`.
    public let name: String
    /// A human-readable explanation: librdkafka's detailed message when it gave one.
    public let message: String
    /// What the adapter was doing.
    public let context: String
    /// A retry of the same operation may succeed (broker moved, timeout, queue full).
    public let isRetriable: Bool
    /// The client instance is unusable (e.g. idempotent producer lost its guarantees):
    /// destroy it and start again from the last durable state.
    public let isFatal: Bool
    /// The partition (and offset) a consumer error is about, when librdkafka names one:
    /// e.g. an offset out of range concerns exactly one partition.
    public var partition: KafkaTopicPartitionOffset?

    public init(code: Int32, message: String? = nil, context: String,
                isRetriable: Bool? = nil, isFatal: Bool = false, partition: KafkaTopicPartitionOffset? = nil) {
        let err = rd_kafka_resp_err_t(rawValue: code)
        self.code = code
        self.name = String(cString: rd_kafka_err2name(err))
        self.message = message ?? String(cString: rd_kafka_err2str(err))
        self.context = context
        self.isRetriable = isRetriable ?? KafkaError.retriableCodes.contains(code)
        self.isFatal = isFatal
        self.partition = partition
    }

    init(_ err: rd_kafka_resp_err_t, context: String) {
        self.init(code: err.rawValue, context: context)
    }

    /// Takes ownership of (and destroys) a `rd_kafka_error_t`, which knows its own flags.
    init(consuming error: OpaquePointer, context: String) {
        defer { rd_kafka_error_destroy(error) }
        self.init(code: rd_kafka_error_code(error).rawValue,
                  message: String(cString: rd_kafka_error_string(error)),
                  context: context,
                  isRetriable: rd_kafka_error_is_retriable(error) != 0,
                  isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    public var description: String { "Kafka \(context) failed: \(name): \(message)" }

    /// The producer's local queue is full: `poll` to serve delivery reports, then retry.
    public var isQueueFull: Bool { code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue }
    /// The offset asked for is not in the partition (below its oldest retained record or
    /// beyond its end): the broker's `OFFSET_OUT_OF_RANGE`, or librdkafka's report that
    /// `auto.offset.reset=error` stopped the partition instead of moving it.
    public var isOffsetOutOfRange: Bool {
        code == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE.rawValue || code == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET.rawValue
    }
    /// The client can no longer reach any broker (or the one it needs).
    public var isTransport: Bool {
        code == RD_KAFKA_RESP_ERR__TRANSPORT.rawValue || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue
    }
    /// A local timeout expired (`flush`, metadata, admin requests).
    public var isTimedOut: Bool { code == RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue }
    /// The topic or partition does not exist (yet).
    public var isUnknownTopicOrPartition: Bool {
        code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue || code == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
            || code == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue
    }

    /// Codes that are transient by Kafka's own definition or librdkafka's local ones.
    private static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    ].reduce(into: []) { $0.insert($1.rawValue) }
}

/// Throws unless `err` is `NO_ERROR`.
@inline(__always)
func check(_ err: rd_kafka_resp_err_t, _ context: @autoclosure () -> String) throws {
    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: context()) }
}

/// Reads a C error-string buffer filled by librdkafka.
func errorString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
