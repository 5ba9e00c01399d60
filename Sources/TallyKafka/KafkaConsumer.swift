import CRdKafka
import Synchronization
import TallyThreads

/// Owns the consumer's `rd_kafka_t` and its queue; shared with batches that hold messages
/// so the handle is destroyed only after the last message is freed.
final class ConsumerClient {
    let handle: OpaquePointer
    let queue: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
        rd_kafka_poll_set_consumer(handle)  // route all events to the consumer queue
        queue = rd_kafka_queue_get_consumer(handle)
    }

    /// Set when a close did not finish in time: destroying must not try again (it would
    /// wait for the unresponsive broker without a bound).
    var skipConsumerCloseOnDestroy = false
    /// Clients whose close timed out, kept from destruction until the process exits.
    static let lingering = Mutex<[ConsumerClient]>([])

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy_flags(handle, skipConsumerCloseOnDestroy ? Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE) : 0)
    }
}

/// A synchronous consumer for one dedicated thread, reading partitions the caller assigns
/// at offsets the caller chose (e.g. stored in LMDB with the state derived from them).
/// The group is used only to publish progress (`commitAsync`) for lag monitoring.
///
/// ```swift
/// let consumer = try KafkaConsumer(config: config, groupID: "tally")
/// try consumer.assign([KafkaTopicPartitionOffset(topic: "samples", partition: 0, offset: stored)])
/// let batch = KafkaRecordBatch(capacity: 10_000)
/// while running {
///     try consumer.poll(into: batch, timeoutMs: 100)
///     for record in batch { handle(record.value) }   // valid until the next poll
///     if let error = batch.errors.first { … }
/// }
/// consumer.close()
/// ```
public final class KafkaConsumer {
    /// Defaults: no automatic offset handling, and a fetch queue that stops fetching once
    /// 10,000 records wait, then looks again after 20 ms (docs/ADAPTERS.md, "Fetch queue").
    /// In 2.0.2 a full queue backs off for `fetch.error.backoff.ms` (500 ms by default: a
    /// consumer that fell behind sat idle, measured 2.6× slower); a queue that never fills
    /// (500,000 records, as before) keeps fetching at the end of a partition the
    /// application has not reached yet, and a broker that answers an empty fetch at once
    /// (noida-db) is then asked thousands of times a second: half of `tally run`'s CPU.
    /// A partition holding fewer records than that (8,333 each in the end-to-end bench)
    /// never fills the queue by count, so the queue is also bounded at 4 MiB: ~600
    /// Ceilometer records of 7 KB, while small records still stop at the count first.
    public static let defaults: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "auto.offset.reset": "error",                  // out of range is reported, never skipped
        "queued.min.messages": "10000",
        "fetch.error.backoff.ms": "20",
        "queued.max.messages.kbytes": "4096",
        "fetch.max.bytes": "52428800",
        "max.partition.fetch.bytes": "8388608",
        "fetch.wait.max.ms": "100",
        "isolation.level": "read_committed",
    ]

    private let client: ConsumerClient
    private var isClosed = false
    /// Partitions read to their end are paused until they grow (EndOfPartitionParking.swift).
    private let parking: EndOfPartitionParking
    /// Whether the caller asked for `KafkaPartitionEnd` events (parking needs them anyway).
    private let reportsEndOfPartition: Bool

    /// A partition read to its end is parked: paused, and checked every `fetch.wait.max.ms`
    /// (one ListOffsets for all parked partitions) whether it grew, instead of being fetched
    /// back to back from a broker that does not hold empty fetches (noida-db). A record
    /// produced to a parked partition arrives up to one interval later than it would from a
    /// broker that holds fetches; a bounded read still sees each partition's end once.
    ///
    /// - Parameters:
    ///   - groupID: the consumer group offsets are committed to (librdkafka requires one).
    ///   - reportEndOfPartition: report `KafkaPartitionEnd` when a partition is drained.
    public init(config: KafkaConfig, groupID: String, reportEndOfPartition: Bool = false) throws {
        var merged = config.withDefaults(Self.defaults)
        merged["group.id"] = groupID
        merged["enable.partition.eof"] = "true"  // parking needs the events; hidden unless asked for
        let conf = try merged.makeNative()
        client = ConsumerClient(handle: try makeClient(RD_KAFKA_CONSUMER, conf, context: "creating consumer for group \(groupID)"))
        parking = EndOfPartitionParking(config: merged)
        reportsEndOfPartition = reportEndOfPartition
    }

    /// The partitions paused at their end right now (for tests and observation).
    public var parkedPartitions: Set<KafkaPartitionID> { Set(parking.parked.keys) }

    deinit { close() }

    /// Replaces the assignment: reads exactly these partitions from these offsets.
    /// An empty list stops all fetching.
    public func assign(_ partitions: [(topic: String, partition: Int32, offset: KafkaOffset)]) throws {
        let list = makePartitionList(partitions.map {
            KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.offset.rawValue)
        })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        parking.resumeAll(handle: client.handle)
        try check(rd_kafka_assign(client.handle, list), "assign \(partitions.map { "\($0.topic)[\($0.partition)]" })")
    }

    /// Fills `batch` with up to `maxRecords` (default: its capacity) records, waiting at
    /// most `timeoutMs` for the first. Returns the number of data records. The previous
    /// contents of `batch` are freed first.
    @discardableResult
    public func poll(into batch: KafkaRecordBatch, maxRecords: Int? = nil, timeoutMs: Int32) throws -> Int {
        precondition(!isClosed, "KafkaConsumer.poll after close()")
        try batch.fill(from: client, maxRecords: maxRecords ?? batch.capacity, timeoutMs: timeoutMs)
        parking.parkPartitionsAtEnd(of: batch, handle: client.handle)
        parking.resumeMovedPartitions(handle: client.handle, nowMs: monotonicMillis())
        if !reportsEndOfPartition { batch.dropPartitionEnds() }
        return batch.count
    }

    /// Publishes progress to the group without waiting: each offset is the next one to read.
    /// For lag monitoring only; restarts read offsets from the caller's own store.
    public func commitAsync(_ offsets: [KafkaTopicPartitionOffset]) throws {
        guard !offsets.isEmpty else { return }
        let list = makePartitionList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_commit(client.handle, list, 1), "commit offsets \(offsets)")
    }

    /// The offsets committed to the group for these partitions (blocking, for tests/tools).
    public func committedOffsets(_ partitions: [(topic: String, partition: Int32)], timeoutMs: Int32) throws
        -> [KafkaTopicPartitionOffset] {
        let list = makePartitionList(partitions.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1001) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_committed(client.handle, list, timeoutMs), "read committed offsets")
        return readPartitionList(list).map(\.0)
    }

    /// Stops fetching and leaves the group. Idempotent. Batches still holding records keep
    /// the underlying handle alive until they are released.
    ///
    /// Waits at most `timeoutMs`: `rd_kafka_consumer_close` waits for the group coordinator
    /// without a bound, so a stop with the broker down (or stopped) would hang. Offsets
    /// live in the caller's store, so an unfinished close loses nothing.
    public func close(timeoutMs: Int32 = 5_000) {
        guard !isClosed else { return }
        isClosed = true
        client.close(timeoutMs: timeoutMs)
    }
}

extension ConsumerClient {
    /// The bounded close of both consumers: closes through a queue of its own, polling it for
    /// at most `timeoutMs`; `onEvent` sees each event of that queue before it is destroyed
    /// (the group consumer answers the revocation there, or the close never completes).
    func close(timeoutMs: Int32, onEvent: (OpaquePointer) -> Void = { _ in }) {
        let closeQueue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(closeQueue) }
        if let error = rd_kafka_consumer_close_queue(handle, closeQueue) {
            rd_kafka_error_destroy(error)
            skipConsumerCloseOnDestroy = true
            return
        }
        var waited: Int32 = 0
        while rd_kafka_consumer_closed(handle) == 0 && waited < timeoutMs {
            if let event = rd_kafka_queue_poll(closeQueue, 50) {
                onEvent(event)
                rd_kafka_event_destroy(event)
            }
            waited += 50
        }
        if rd_kafka_consumer_closed(handle) == 0 {
            // Destroying the client now would join librdkafka's threads, which wait for the
            // unresponsive broker (bounded only by socket.timeout.ms, 60 s): leave it to the
            // process's exit instead. Rare (a stop with the broker gone), so the leak is bounded.
            skipConsumerCloseOnDestroy = true
            ConsumerClient.lingering.withLock { $0.append(self) }
        }
    }
}
