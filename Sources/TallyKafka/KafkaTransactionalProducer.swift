import CRdKafka

/// A failed transactional call, classified as librdkafka's transactional API documents:
/// `retriable` (call the same function again), `abortable` (abort the transaction, rewind
/// the input to the last committed offsets, start again), `fatal` (the producer is fenced
/// or broken: destroy it; a new one with the same `transactional.id` aborts what was open).
/// Anything else (`other`, e.g. a call in the wrong state) is a bug or a misconfiguration.
public struct KafkaTransactionError: Error, CustomStringConvertible {
    public enum Kind: String, Sendable { case retriable, abortable, fatal, other }
    public let kind: Kind
    public let underlying: KafkaError

    public var description: String { "\(underlying) (\(kind))" }

    /// Takes ownership of (and destroys) a `rd_kafka_error_t`.
    init(consuming error: OpaquePointer, context: String) {
        let requiresAbort = rd_kafka_error_txn_requires_abort(error) != 0
        let wrapped = KafkaError(consuming: error, context: context)
        underlying = wrapped
        kind = wrapped.isFatal ? .fatal : requiresAbort ? .abortable : wrapped.isRetriable ? .retriable : .other
    }

    public init(kind: Kind, underlying: KafkaError) {
        self.kind = kind
        self.underlying = underlying
    }
}

/// An idempotent producer with a `transactional.id`: what it produces between `begin`
/// and `commit`, together with the consumer offsets sent to the transaction, becomes
/// visible to `read_committed` readers all at once, or (after `abort`, a crash, or a
/// newer instance with the same id) never. For one thread, like `KafkaProducer`.
///
/// ```swift
/// let tx = try KafkaTransactionalProducer(config: config, transactionalID: "tally-route-1")
/// try tx.initTransactions(timeoutMs: 30_000)       // fences older instances, aborts their open transaction
/// try tx.begin()
/// try tx.produce(to: topic, key: k, value: v)
/// try tx.sendOffsets(next, of: consumer, timeoutMs: 30_000)
/// try tx.commit(timeoutMs: 30_000)
/// ```
public final class KafkaTransactionalProducer {
    public let transactionalID: String
    private let producer: KafkaProducer

    public init(config: KafkaConfig, transactionalID: String) throws {
        var merged = config
        merged["transactional.id"] = transactionalID
        self.transactionalID = transactionalID
        producer = try KafkaProducer(config: merged, idempotent: true)
    }

    /// Resolves (and caches) a topic handle for `produce`.
    public func topic(_ name: String) throws -> KafkaTopicHandle { try producer.topic(name) }

    /// Registers the transactional id with its coordinator: bumps the epoch, fencing any
    /// older producer with this id, and aborts the transaction it left open.
    public func initTransactions(timeoutMs: Int32) throws {
        try call("init transactions for \(transactionalID)") { rd_kafka_init_transactions(producer.handle, timeoutMs) }
    }

    public func begin() throws {
        try call("begin a transaction") { rd_kafka_begin_transaction(producer.handle) }
    }

    /// Enqueues a record in the open transaction (key and value copied). Waits for room
    /// when the local queue is full.
    public func produce(to topic: KafkaTopicHandle, partition: Int32? = nil, key: UnsafeRawBufferPointer?,
                        value: UnsafeRawBufferPointer, headers: [KafkaHeader] = [], token: UInt64 = 0) throws {
        while true {
            do {
                try producer.produce(to: topic, partition: partition, key: key, value: value, headers: headers, token: token)
                return
            } catch let error as KafkaError where error.isQueueFull {
                producer.poll(timeoutMs: 10) { _ in }
            }
        }
    }

    /// Sends everything enqueued so far to the broker without committing (still invisible
    /// to `read_committed` readers until `commit`).
    public func flush(timeoutMs: Int32) throws {
        try producer.flush(timeoutMs: timeoutMs) { _ in }
    }

    /// `flush`, handing each record's delivery report (with its offset, under the token
    /// given to `produce`) to `onDelivery`.
    public func flush(timeoutMs: Int32, onDelivery: (KafkaDeliveryReport) throws -> Void) throws {
        try producer.flush(timeoutMs: timeoutMs, onDelivery)
    }

    /// Makes committing these consumer offsets part of the open transaction (each offset
    /// is the next record to read).
    public func sendOffsets(_ offsets: [KafkaTopicPartitionOffset], of consumer: KafkaGroupConsumer, timeoutMs: Int32) throws {
        guard !offsets.isEmpty else { return }
        let metadata = try consumer.groupMetadata()
        let list = makePartitionList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try call("send offsets \(offsets.map { "\($0.topic)[\($0.partition)]@\($0.offset)" }) to the transaction") {
            rd_kafka_send_offsets_to_transaction(producer.handle, list, metadata.pointer, timeoutMs)
        }
    }

    /// Flushes and commits. A failed delivery of any record makes this fail `abortable`.
    public func commit(timeoutMs: Int32) throws {
        defer { producer.poll(timeoutMs: 0) { _ in } }  // delivery reports are not needed: drop them
        try call("commit the transaction") { rd_kafka_commit_transaction(producer.handle, timeoutMs) }
    }

    /// Aborts the open transaction: nothing of it becomes visible to `read_committed`.
    public func abort(timeoutMs: Int32) throws {
        defer { producer.poll(timeoutMs: 0) { _ in } }
        try call("abort the transaction") { rd_kafka_abort_transaction(producer.handle, timeoutMs) }
    }

    /// The fatal error that made this producer unusable (`_FENCED` when a newer instance
    /// with the same `transactional.id` registered), nil while it is usable.
    public func fatalError() -> KafkaError? { producer.fatalError() }

    /// Drops every record still queued or in flight, for abandoning a fenced producer
    /// (its open transaction is aborted by the next `initTransactions` of its id).
    public func abandonOutstanding() { producer.abandonOutstanding() }

    /// Makes the producer fail as a fenced or broken one would (`rd_kafka_test_fatal_error`).
    public func injectFatalErrorForTesting(reason: String) { producer.injectFatalErrorForTesting(reason: reason) }

    private func call(_ context: String, _ body: () -> OpaquePointer?) throws {
        if let error = body() { throw KafkaTransactionError(consuming: error, context: context) }
    }
}
