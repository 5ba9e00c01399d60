import CRdKafka

/// A header on a produced message.
public struct KafkaHeader: Sendable {
    public var name: String
    public var value: [UInt8]
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// A topic resolved once by `KafkaProducer.topic(_:)`, so producing does not look the
/// name up per message. Valid as long as the producer that made it.
// @unchecked: it wraps an rd_kafka_topic_t pointer, which librdkafka documents as
// thread-safe and which lives as long as its producer.
public struct KafkaTopicHandle: @unchecked Sendable {
    public let name: String
    let pointer: OpaquePointer
}

/// A synchronous producer for one dedicated thread: `produce` only enqueues (it copies key
/// and value), `poll` serves delivery reports. Not thread-safe; keep it on one thread.
///
/// Delivery: every message carries a caller-chosen `UInt64` token; `poll`/`flush` report
/// `(token, error?)` per message once the broker acknowledged it (or it finally failed), so
/// an outbox entry can be removed only after its ack.
///
/// Back-pressure: when the local queue is full `produce` throws an error with
/// `isQueueFull`; call `poll(timeoutMs:)` (handling the reports) and retry.
public final class KafkaProducer {
    /// Defaults tuned for throughput; any key set in the caller's config wins.
    public static let defaults: [String: String] = [
        "linger.ms": "5",                               // fill batches; adds ≤5 ms latency
        "batch.num.messages": "100000",                 // batches bounded by size, not count
        "batch.size": "1000000",
        "queue.buffering.max.messages": "1000000",      // room for a burst of 1M in flight
        "queue.buffering.max.kbytes": "1048576",
        "partitioner": "murmur2_random",                // same key → partition as Java clients
        "acks": "all",
    ]

    private let client: OpaquePointer
    private let collector = DeliveryCollector()
    private var topics: [String: KafkaTopicHandle] = [:]

    /// - Parameters:
    ///   - config: at least `bootstrap.servers`.
    ///   - idempotent: sets `enable.idempotence=true` (no duplicates or reordering from
    ///     retries; implies `acks=all`).
    public init(config: KafkaConfig, idempotent: Bool = false) throws {
        var merged = config.withDefaults(Self.defaults)
        if idempotent { merged["enable.idempotence"] = "true" }
        let conf = try merged.makeNative()
        collector.install(on: conf)
        client = try makeClient(RD_KAFKA_PRODUCER, conf, context: "creating producer")
    }

    deinit {
        for handle in topics.values { rd_kafka_topic_destroy(handle.pointer) }
        rd_kafka_destroy(client)
    }

    /// Resolves (and caches) a topic handle.
    public func topic(_ name: String) throws -> KafkaTopicHandle {
        if let handle = topics[name] { return handle }
        guard let pointer = rd_kafka_topic_new(client, name, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "creating topic handle \"\(name)\"")
        }
        let handle = KafkaTopicHandle(name: name, pointer: pointer)
        topics[name] = handle
        return handle
    }

    /// Messages produced but not yet reported (in queue, in flight, or awaiting `poll`).
    public var outstandingCount: Int { Int(rd_kafka_outq_len(client)) }

    /// Serves delivery reports: waits up to `timeoutMs` for at least one event, then calls
    /// `onDelivery` for every report collected. Returns the number of reports.
    @discardableResult
    public func poll(timeoutMs: Int32 = 0, _ onDelivery: (KafkaDeliveryReport) throws -> Void) rethrows -> Int {
        rd_kafka_poll(client, timeoutMs)
        let count = collector.reports.count
        try collector.drain(onDelivery)
        return count
    }

    /// Waits until every outstanding message is reported (or `timeoutMs` passes), passing
    /// reports to `onDelivery`. Throws `isTimedOut` if messages remain outstanding.
    public func flush(timeoutMs: Int32, _ onDelivery: (KafkaDeliveryReport) throws -> Void) throws {
        let err = rd_kafka_flush(client, timeoutMs)
        try collector.drain(onDelivery)
        try check(err, "flush (\(outstandingCount) messages outstanding)")
    }

    /// The fatal error that made this producer unusable, if any (idempotence violations).
    public func fatalError() -> KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(client, &buffer, buffer.count)
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
        return KafkaError(code: err.rawValue, message: errorString(buffer), context: "producer", isFatal: true)
    }

    /// Drops every message still queued or in flight (their reports, `_PURGE_*`, are
    /// discarded): for abandoning a producer whose fatal error made it unusable, so that
    /// destroying it does not wait on them. The caller resends from its own outbox.
    public func abandonOutstanding() {
        _ = rd_kafka_purge(client, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        rd_kafka_poll(client, 0)
        collector.drain { _ in }
    }

    /// Raises a fabricated fatal error (librdkafka's `rd_kafka_test_fatal_error`), as an
    /// idempotent producer does on e.g. `OUT_OF_ORDER_SEQUENCE_NUMBER`: for tests of the
    /// recovery path, which a real broker cannot be made to take reliably.
    public func injectFatalErrorForTesting(reason: String) {
        _ = rd_kafka_test_fatal_error(client, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
    }

    var handle: OpaquePointer { client }
}
