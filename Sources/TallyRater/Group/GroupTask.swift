import Foundation
import TallyCore
import TallyEngine
import TallyKafka
import TallyRuntime

/// One assigned input partition of a rater in a group (Kafka Streams' task): its own
/// `StreamRater` over its own LMDB environment (`STATE/tasks/TOPIC-P`), its own
/// transactional producer (`transactional.id` = group-topic-partition, so whoever owns
/// the partition next fences this one), frames on frames partition P.
///
/// Per batch (`commit`), inside the engine's LMDB write transaction and before it
/// commits: begin a Kafka transaction; produce the batch's frames, dead letters and
/// checkpoint and its changelog records; send the consumed offset; commit; then stamp
/// the changelog offset in the same LMDB transaction. A crash between the Kafka commit
/// and the LMDB commit leaves a stale cache, which `ChangelogRestore` repairs on the next
/// assignment.
final class GroupTask {
    let partition: KafkaPartitionID
    let rater: StreamRater
    let store: ChangelogStateStore
    let restored: ChangelogRestore.Outcome
    private let producer: KafkaTransactionalProducer
    private let changelog: KafkaTopicHandle
    private let changelogTopic: String
    private var handles: [String: KafkaTopicHandle] = [:]
    private let consumer: KafkaGroupConsumer
    private(set) var samplesAtCommit: UInt64 = 0
    private(set) var lastCommitMillis = WallClock.monotonicMillis()
    private(set) var transactions = 0

    struct Parts {
        var config: ServiceConfig
        var metrics: MetricsConfig
        var pricer: WindowPricer
        var settings: EngineSettings
        var kafka: KafkaConfig
        var consumer: KafkaGroupConsumer
    }

    /// Registers the transactional id (fencing the previous owner and aborting its open
    /// transaction), restores the cache from the changelog, and loads the engine.
    init(partition: KafkaPartitionID, parts: Parts, restoreProgress: @escaping (_ offset: Int64, _ end: Int64) -> Void = { _, _ in }) throws {
        self.partition = partition
        consumer = parts.consumer
        let group = parts.config.raterGroup
        changelogTopic = group.stateTopic
        var producerConfig = parts.kafka
        producerConfig["transaction.timeout.ms"] = String(group.transactionTimeoutMs)
        let producer = try KafkaTransactionalProducer(
            config: producerConfig, transactionalID: group.transactionalID(topic: partition.topic, partition: partition.partition))
        try Self.retrying { try producer.initTransactions(timeoutMs: 30_000) }
        self.producer = producer
        changelog = try producer.topic(group.stateTopic)

        let directory = Self.directory(statePath: parts.config.statePath, partition: partition)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lmdb = try LMDBStateStore(path: directory, mapSizeMiB: parts.config.mapSizeMiB, durable: parts.config.durableCommits)
        var restore = ChangelogRestore(kafka: parts.kafka, topic: group.stateTopic, partition: partition.partition)
        restore.progress = restoreProgress
        restored = try restore.run(into: lmdb)
        store = ChangelogStateStore(inner: lmdb)
        var settings = parts.settings
        settings.ownedFramesPartition = partition.partition
        rater = try StreamRater(settings: settings, metrics: parts.metrics, pricer: parts.pricer, store: store)
        let (resend, _) = try rater.restore(wallNow: WallClock.now())
        precondition(resend.isEmpty, "a group task's outbox is never stored")
        rater.assign([(partition.topic, partition.partition)])
        samplesAtCommit = rater.counters.samplesIn
        store.beforeCommit = { [unowned self] batch, raw in try self.transact(batch, raw: raw) }
    }

    static func directory(statePath: String, partition: KafkaPartitionID) -> String {
        (statePath as NSString).appendingPathComponent("tasks/\(partition.topic)-\(partition.partition)")
    }

    /// The next input offset the task's state says to read (nil: never read).
    var position: Int64? { rater.position(topic: partition.topic, partition: partition.partition) }

    func isDue(nowMillis: Int64, batchSamples: Int, batchMillis: Int) -> Bool {
        rater.counters.samplesIn - samplesAtCommit >= UInt64(batchSamples) || nowMillis - lastCommitMillis >= Int64(batchMillis)
    }

    /// Ends the task's batch: the engine commits, and its write transaction carries the
    /// Kafka transaction (`transact`). After this returns, everything is on the broker.
    func commit(wallNow: EventTime) throws {
        let messages = try rater.commitBatch(wallNow: wallNow)
        for message in messages { rater.acknowledge(message.token) }  // committed in the transaction already
        samplesAtCommit = rater.counters.samplesIn
        lastCommitMillis = WallClock.monotonicMillis()
    }

    /// Aborts whatever transaction is open (after a failure inside `commit`).
    func abort() throws { try Self.retrying { try producer.abort(timeoutMs: 30_000) } }

    /// Why the task's producer can no longer be used (fenced by a newer one with its
    /// `transactional.id`, or broken), nil while it can.
    var producerFailure: KafkaError? { producer.fatalError() }

    /// Drops what the producer still holds, so that closing a fenced task does not wait on it.
    func abandon() { producer.abandonOutstanding() }

    /// Closes the task's LMDB environment before the task is opened again on the same
    /// directory: LMDB forbids one environment open twice in a process, and the caller may
    /// still hold this task while it opens the next. The task must not be used afterwards.
    func closeStore() { store.inner.environment.close() }

    private func transact(_ batch: ChangelogBatch, raw: StateTransaction) throws {
        try producer.begin()
        for bytes in batch.outbox {
            let entry = try bytes.withUnsafeBytes { try OutboxEntry(decoding: $0) }
            let handle = try topicHandle(entry.topic)
            try entry.value.withUnsafeBytes { value in
                try entry.key.withUnsafeBytes { key in
                    try producer.produce(to: handle, partition: entry.partition, key: key, value: value)
                }
            }
        }
        for (i, change) in batch.changes.enumerated() {
            let key = ChangelogRecord.key(change.table, change.key)
            try key.withUnsafeBytes { k in
                if let value = change.value {
                    try ChangelogRecord.value(value).withUnsafeBytes { v in
                        try producer.produce(to: changelog, partition: partition.partition, key: k, value: v, token: UInt64(i + 1))
                    }
                } else {  // a tombstone: no value at all
                    try producer.produce(to: changelog, partition: partition.partition, key: k,
                                         value: UnsafeRawBufferPointer(start: nil, count: 0), token: UInt64(i + 1))
                }
            }
        }
        if let next = position {
            try Self.retrying {
                try producer.sendOffsets([KafkaTopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: next)],
                                         of: consumer, timeoutMs: 30_000)
            }
        }
        // The changelog records' offsets: the stamp is the last one (a lower stamp would
        // only make a restore read more, never less).
        var stamp: Int64?
        var failed: KafkaError?
        try producer.flush(timeoutMs: 60_000) { report in
            if let error = report.error { failed = failed ?? error; return }
            if report.token > 0 { stamp = max(stamp ?? report.offset, report.offset) }
        }
        if let failed { throw KafkaTransactionError(kind: .abortable, underlying: failed) }
        try Self.retrying { try producer.commit(timeoutMs: 60_000) }
        transactions += 1
        if let stamp { try raw.put(.meta, ChangelogRecord.stampKey, ChangelogRestore.encode(stamp), append: false) }
    }

    private func topicHandle(_ name: String) throws -> KafkaTopicHandle {
        if let handle = handles[name] { return handle }
        let handle = try producer.topic(name)
        handles[name] = handle
        return handle
    }

    /// Runs `body` again while it fails with a retriable transactional error (at most 10 times).
    static func retrying(_ body: () throws -> Void) throws {
        var attempt = 0
        while true {
            do { return try body() } catch let error as KafkaTransactionError where error.kind == .retriable && attempt < 10 {
                attempt += 1
            }
        }
    }
}
