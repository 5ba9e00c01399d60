import Foundation
import TallyCore
import TallyEngine
import TallyKafka
import TallyRuntime
import TallyWire

/// Runs a `StreamRater` against Kafka and LMDB: the loop of consume → fold →
/// commit → send → acknowledge, on the calling thread.
public final class RaterService {
    public struct Options {
        /// Stop once every input partition is read to its end and everything sent
        /// (a bounded run: the end of input closes every window).
        public var untilDrained = false
        /// Called about every second with progress.
        public var progress: ((Counters, Int) -> Void)?
        /// Where operational decisions and consumer problems are reported (offset resets…).
        public var log: (String) -> Void = { _ in }
        /// Each rule event folded from the rule log while running (a rule change picked up live).
        public var ruleEvent: ((_ bytes: [UInt8], _ offset: Int64, _ outcome: RuleEventOutcome) -> Void)?
        public init(untilDrained: Bool = false) { self.untilDrained = untilDrained }
    }

    public let config: ServiceConfig
    public let rater: StreamRater
    public let store: LMDBStateStore
    /// Held while the service exists: a second rater on the same state refuses to start.
    private let stateLock: StateDirectoryLock
    /// Sends the outbox; replaces the producer after a fatal error (OutboxSender.swift).
    private let sender: OutboxSender
    /// Where the sender reports: `Options.log` for the length of `run`.
    private let senderLog = LogRelay()
    /// Set when pricing follows the rule log: its events are fed to it between batches.
    let ruleLog: RuleLogPricer?
    /// Milliseconds spent in each phase of the loop, printed by `tally run` at exit.
    public private(set) var timing: [String: Int64] = [:]
    /// Input partitions resumed by `on_offset_reset` this run; consumer errors seen
    /// (other than those), each kind logged once per partition.
    public internal(set) var offsetResets = 0
    public internal(set) var consumerErrors = 0
    var reportedConsumerErrors = Set<String>()
    /// Close and commit latency per batch, for `/metrics` (RaterService+Observation.swift).
    var latencies = BatchLatencies()

    public convenience init(config: ServiceConfig, metrics: MetricsConfig, pricer: WindowPricer) throws {
        try self.init(config: config, metrics: metrics) { _ in pricer }
    }

    /// `makePricer` gets the opened state store (the rule log's snapshot lives there).
    public init(config: ServiceConfig, metrics: MetricsConfig, makePricer: (StateStore) throws -> WindowPricer) throws {
        self.config = config
        try FileManager.default.createDirectory(atPath: config.statePath, withIntermediateDirectories: true)
        stateLock = try StateDirectoryLock(directory: config.statePath)
        // Durable commits wait for the disk on a thread of their own (`engine.commit_thread`).
        let store = try LMDBStateStore(path: config.statePath, mapSizeMiB: config.mapSizeMiB, durable: config.durableCommits,
                                       commitBehind: config.durableCommits && config.commitThread)
        self.store = store
        let pricer = try Self.atBroker(config.bootstrapServers, "reading the rule log \(config.rulesTopic)") { try makePricer(store) }
        ruleLog = pricer as? RuleLogPricer
        var settings = EngineSettings(
            inputs: try config.inputs.map { try $0.engineInput() },
            framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        settings.correctionsTopic = config.correctionsTopic
        settings.checkpointsTopic = config.checkpointsTopic
        rater = try StreamRater(settings: settings, metrics: metrics, pricer: pricer, store: store)
        var producerConfig = KafkaConfig(config.kafkaProperties)
        producerConfig["bootstrap.servers"] = config.bootstrapServers
        let rater = rater
        sender = try OutboxSender(makeProducer: { try KafkaProducer(config: producerConfig, idempotent: true) },
                                  log: { [senderLog] in senderLog.sink($0) }, onAcknowledged: { rater.acknowledge($0) })
    }

    /// Producers replaced after a fatal error during this run.
    public var producerRecoveries: Int { sender.recoveries }

    /// Creates the topics Tally uses when they are missing (if allowed).
    public func ensureTopics() throws {
        guard config.createTopics else { return }
        var adminConfig = KafkaConfig(config.kafkaProperties)
        adminConfig["bootstrap.servers"] = config.bootstrapServers
        let admin = try KafkaAdmin(config: adminConfig)
        for input in config.inputs { _ = try admin.createTopic(input.topic, partitions: Int(config.inputPartitions)) }
        _ = try admin.createTopic(config.framesTopic, partitions: Int(config.framesPartitions))
        _ = try admin.createTopic(config.deadLetterTopic, partitions: 1)
        _ = try admin.createTopic(config.correctionsTopic, partitions: 1)
        _ = try admin.createTopic(config.checkpointsTopic, partitions: 1)
        if ruleLog != nil { try RuleLogClient(config: config).ensureTopic() }
    }

    /// Runs until `shouldStop()` says so (checked between batches), or until drained.
    /// Returns the counters at the end.
    public func run(options: Options = Options(), shouldStop: () -> Bool) throws -> Counters {
        senderLog.sink = options.log
        try atBroker("creating missing topics") { try ensureTopics() }
        let (resend, positions) = try rater.restore(wallNow: WallClock.now())
        try send(resend)

        var consumerConfig = KafkaConfig(config.kafkaProperties)
        consumerConfig["bootstrap.servers"] = config.bootstrapServers
        consumerConfig["session.timeout.ms"] = consumerConfig["session.timeout.ms"] ?? "6000"
        // Some brokers answer a fetch with more than fetch.max.bytes (noida-db does); a
        // response above this limit would fail the connection forever.
        consumerConfig["receive.message.max.bytes"] = consumerConfig["receive.message.max.bytes"] ?? "1073741824"
        // A partition read to its end is parked (paused, checked every fetch.wait.max.ms:
        // EndOfPartitionParking.swift), as by every consumer.
        let consumer = try KafkaConsumer(config: consumerConfig, groupID: "tally-rater", reportEndOfPartition: true)
        defer { consumer.close() }
        var adminConfig = KafkaConfig(config.kafkaProperties)
        adminConfig["bootstrap.servers"] = config.bootstrapServers
        let admin = try KafkaAdmin(config: adminConfig)
        var assignment: [(topic: String, partition: Int32, offset: KafkaOffset)] = []
        var atEnd = InputEnds()
        for input in config.inputs {
            let count = try atBroker("reading the partitions of \(input.topic)") { try admin.partitionCount(of: input.topic) } ?? 0
            for p in 0..<Int32(count) {
                let stored = positions.first { $0.topic == input.topic && $0.partition == p }
                assignment.append((input.topic, p, stored.map { .exact($0.offset) } ?? .beginning))
                atEnd.track(input.topic, p)
            }
        }
        rater.assign(assignment.map { ($0.topic, $0.partition) })
        // The rule log's one partition, after what the pricer has folded: rule changes
        // take effect for the windows closed after them, without a restart. It is not an
        // input: it neither holds the clock nor counts for "drained".
        if let ruleLog, try admin.partitionCount(of: config.rulesTopic) != nil {
            let next = ruleLog.state.lastOffset.map { KafkaOffset.exact($0 + 1) } ?? .beginning
            assignment.append((config.rulesTopic, 0, next))
        }
        // Correction commands (`tally replay --apply`), after the last one read: this
        // rater is the only writer of the frames topic, so it executes them. A drained
        // run reads them to their end too.
        if try admin.partitionCount(of: config.correctionsTopic) != nil {
            assignment.append((config.correctionsTopic, 0, .exact(try rater.correctionsNextOffset())))
            atEnd.track(config.correctionsTopic, 0)
        }
        try consumer.assign(assignment)

        // Folds one polled batch in poll order: rule events, corrections and samples as they
        // come, then the partitions read to their end and the consumer's errors. The batch's
        // input records are decoded already when the decode thread did it (`rater.adopt`).
        func foldPolled(_ batch: KafkaRecordBatch, wallNow: EventTime) throws {
            for record in batch {
                let topic = record.topic
                if let ruleLog, topic == config.rulesTopic {
                    let bytes = Array(record.value)
                    let outcome = ruleLog.apply(eventBytes: bytes, offset: record.offset)
                    options.ruleEvent?(bytes, record.offset, outcome)
                    continue
                }
                atEnd.mark(topic, record.partition, atEnd: false)
                if topic == config.correctionsTopic {
                    try receiveCorrection(Array(record.value), offset: record.offset)
                    continue
                }
                // A routed record names its format (`tally route`; docs/SCALE.md).
                rater.fold(InputRecord(topic: topic, partition: record.partition, offset: record.offset,
                                       key: record.key, value: record.value,
                                       formatHeader: record.headerBytes(named: InputFormat.headerName)), wallNow: wallNow)
            }
            for end in batch.partitionEnds where !(ruleLog != nil && end.topic == config.rulesTopic) {
                atEnd.mark(end.topic, end.partition, atEnd: true)
                rater.reachedEnd(topic: end.topic, partition: end.partition)
            }
            try handleConsumerErrors(batch.errors, consumer: consumer, admin: admin, assignment: &assignment, log: options.log)
            batch.release()
        }

        // The batches to poll into: with the decode thread, `DecodeThread.depth` of them, so
        // while this thread folds one the decode thread decodes the next.
        var idle = (0 ..< (config.decodeThread ? DecodeThread.depth : 1)).map { _ in KafkaRecordBatch(capacity: 4096) }
        let decodeThread = try config.decodeThread ? DecodeThread(decoder: rater.makeAheadDecoder(), depth: DecodeThread.depth) : nil
        defer { decodeThread?.stop() }  // before the consumer closes: the thread reads its records
        var decoding = 0
        // A committed batch's frames while its commit waits for the disk on the commit thread
        // (`engine.commit_thread`): sent once it is durable, before the next batch commits.
        var unsent: [(write: UInt64, messages: [OutgoingMessage])] = []
        func sendCommitted(wait: Bool) throws {
            while let (write, messages) = unsent.first {
                if wait {
                    try store.awaitCommitted(through: write)  // timed by the store: `commit_wait`
                } else if try !store.isCommitted(through: write) {
                    return
                }
                unsent.removeFirst()
                let t1 = WallClock.monotonicMillis()
                try send(messages)
                timing["send", default: 0] += WallClock.monotonicMillis() - t1
            }
        }
        var batchStart = WallClock.monotonicMillis()
        var samplesAtBatchStart = rater.counters.samplesIn
        var lastProgress = batchStart
        var lastGroupCommit = batchStart
        var drained = false
        var stopDeadline: Int64?
        while true {
            let stopping = shouldStop()
            if !stopping && !drained, let decodeThread {
                // Poll ahead while a batch is free (the decode thread decodes it meanwhile), then
                // fold the oldest once the pool is out or the broker has nothing more now.
                var t0 = WallClock.monotonicMillis()
                var polledSome = false
                if let batch = idle.popLast() {
                    try consumer.poll(into: batch, timeoutMs: decoding == 0 ? 50 : 0)
                    if batch.isEmpty && batch.partitionEnds.isEmpty && batch.errors.isEmpty {
                        idle.append(batch)
                    } else {
                        decodeThread.submit(batch)
                        decoding += 1
                        polledSome = true
                    }
                }
                var t1 = WallClock.monotonicMillis()
                timing["poll", default: 0] += t1 - t0
                if decoding > 0 && (idle.isEmpty || !polledSome), let next = decodeThread.next() {
                    t0 = WallClock.monotonicMillis()
                    timing["decode_wait", default: 0] += t0 - t1
                    decoding -= 1
                    rater.adopt(next.decoded)
                    try foldPolled(next.polled, wallNow: WallClock.now())
                    idle.append(next.polled)
                    t1 = WallClock.monotonicMillis()
                    timing["fold", default: 0] += t1 - t0
                }
            } else if !stopping && !drained {
                let batch = idle[0]
                var t0 = WallClock.monotonicMillis()
                try consumer.poll(into: batch, timeoutMs: 50)
                var t1 = WallClock.monotonicMillis()
                timing["poll", default: 0] += t1 - t0
                t0 = t1
                let wallNow = WallClock.now()
                if rater.needsPreview {
                    // No closing clock yet: the batch's latest samples bound how old a sample may be.
                    for record in batch {
                        rater.preview(InputRecord(topic: record.topic, partition: record.partition, offset: record.offset,
                                                  key: record.key, value: record.value,
                                                  formatHeader: record.headerBytes(named: InputFormat.headerName)), wallNow: wallNow)
                    }
                }
                try foldPolled(batch, wallNow: wallNow)
                t1 = WallClock.monotonicMillis()
                timing["fold", default: 0] += t1 - t0
            }
            let now = WallClock.monotonicMillis()
            let batchFull = rater.counters.samplesIn - samplesAtBatchStart >= UInt64(config.batchSamples)
            let allAtEnd = atEnd.all
            if batchFull || now - batchStart >= Int64(config.batchMillis) || stopping || allAtEnd {
                let endOfInput = options.untilDrained && allAtEnd
                let t0 = WallClock.monotonicMillis()
                let messages = try commitTimed(wallNow: WallClock.now(), endOfInput: endOfInput)
                let t1 = WallClock.monotonicMillis()
                timing["commit", default: 0] += t1 - t0
                if store.commitsBehind {
                    // Sent in commit order once durable (this write waited for the last one's commit).
                    unsent.append((store.lastWrite, messages))
                } else {
                    try send(messages)
                    timing["send", default: 0] += WallClock.monotonicMillis() - t1
                }
                batchStart = now
                samplesAtBatchStart = rater.counters.samplesIn
                if endOfInput { drained = true }
            }
            try sendCommitted(wait: false)
            try sender.poll(timeoutMs: 0)
            if now - lastGroupCommit >= 5000 {
                try? consumer.commitAsync(rater.positions.map {
                    KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.offset)
                })
                lastGroupCommit = now
            }
            if now - lastProgress >= 1000, let progress = options.progress {
                progress(rater.counters, rater.openWindows)
                lastProgress = now
            }
            if stopping || drained {
                try sendCommitted(wait: true)
                let t0 = WallClock.monotonicMillis()
                let deadline = stopDeadline ?? t0 + Int64(config.stopTimeoutMs)
                stopDeadline = deadline
                let allAcknowledged = try sender.flush(timeoutMs: Int32(max(0, min(deadline - t0, 1_000))))
                timing["flush", default: 0] += WallClock.monotonicMillis() - t0
                if allAcknowledged || WallClock.monotonicMillis() >= deadline {
                    _ = try rater.commitBatch(wallNow: WallClock.now(), endOfInput: false)  // deletes acked outbox entries
                    try store.awaitCommitted()  // the state as this stop leaves it, durable
                    if !allAcknowledged { throw unsentAtStop() }
                    return rater.counters
                }
            }
        }
    }

    private func send(_ messages: [OutgoingMessage]) throws { try sender.send(messages) }

    private func unsentAtStop() -> UnsentOutboxError {
        UnsentOutboxError(unacknowledged: sender.unacknowledged.count, broker: config.bootstrapServers,
                          statePath: config.statePath, waitedMs: config.stopTimeoutMs)
    }
}

/// A log destination chosen after construction (the sender is made in `init`, the
/// log comes with `run`'s options).
final class LogRelay {
    var sink: (String) -> Void = { _ in }
}

extension RaterService {
    /// Executes a correction command read from the corrections topic, and says what it did
    /// on stderr (a command the rater cannot read is reported and passed over).
    fileprivate func receiveCorrection(_ bytes: [UInt8], offset: Int64) throws {
        switch try rater.receiveCorrection(bytes, offset: offset) {
        case .passedOver: break
        case .malformed(let why):
            senderLog.sink("tally run: \(config.correctionsTopic) offset \(offset) passed over: \(why)")
        case .executed(let receipt):
            senderLog.sink("tally run: replay \(receipt.replayId) part \(receipt.part + 1)/\(receipt.parts): "
                + "\(receipt.corrected.count) correction(s), \(receipt.skipped.count) skipped")
        }
    }
}
