import Foundation
import TallyCore
import TallyEngine
import TallyKafka
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
        public init(untilDrained: Bool = false) { self.untilDrained = untilDrained }
    }

    public let config: ServiceConfig
    public let rater: StreamRater
    public let store: LMDBStateStore
    private let producer: KafkaProducer
    private var unacknowledged: [UInt64: OutgoingMessage] = [:]
    private var topicHandles: [String: KafkaTopicHandle] = [:]
    /// Set when pricing follows the rule log: its events are fed to it between batches.
    private let ruleLog: RuleLogPricer?
    /// Milliseconds spent in each phase of the loop, printed by `tally run` at exit.
    public private(set) var timing: [String: Int64] = [:]

    public convenience init(config: ServiceConfig, metrics: MetricsConfig, pricer: WindowPricer) throws {
        try self.init(config: config, metrics: metrics) { _ in pricer }
    }

    /// `makePricer` gets the opened state store (the rule log's snapshot lives there).
    public init(config: ServiceConfig, metrics: MetricsConfig, makePricer: (StateStore) throws -> WindowPricer) throws {
        self.config = config
        try FileManager.default.createDirectory(atPath: config.statePath, withIntermediateDirectories: true)
        store = try LMDBStateStore(path: config.statePath, mapSizeMiB: config.mapSizeMiB, durable: config.durableCommits)
        let pricer = try makePricer(store)
        ruleLog = pricer as? RuleLogPricer
        let settings = EngineSettings(
            inputs: try config.inputs.map { try $0.engineInput() },
            framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        rater = try StreamRater(settings: settings, metrics: metrics, pricer: pricer, store: store)
        var producerConfig = KafkaConfig(config.kafkaProperties)
        producerConfig["bootstrap.servers"] = config.bootstrapServers
        producer = try KafkaProducer(config: producerConfig, idempotent: true)
    }

    /// Creates the topics Tally uses when they are missing (if allowed).
    public func ensureTopics() throws {
        guard config.createTopics else { return }
        var adminConfig = KafkaConfig(config.kafkaProperties)
        adminConfig["bootstrap.servers"] = config.bootstrapServers
        let admin = try KafkaAdmin(config: adminConfig)
        for input in config.inputs { _ = try admin.createTopic(input.topic, partitions: Int(config.inputPartitions)) }
        _ = try admin.createTopic(config.framesTopic, partitions: Int(config.framesPartitions))
        _ = try admin.createTopic(config.deadLetterTopic, partitions: 1)
        if ruleLog != nil { try RuleLogClient(config: config).ensureTopic() }
    }

    /// Runs until `shouldStop()` says so (checked between batches), or until drained.
    /// Returns the counters at the end.
    public func run(options: Options = Options(), shouldStop: () -> Bool) throws -> Counters {
        try ensureTopics()
        let (resend, positions) = try rater.restore(wallNow: WallClock.now())
        try send(resend)

        var consumerConfig = KafkaConfig(config.kafkaProperties)
        consumerConfig["bootstrap.servers"] = config.bootstrapServers
        consumerConfig["session.timeout.ms"] = consumerConfig["session.timeout.ms"] ?? "6000"
        // Some brokers answer a fetch with more than fetch.max.bytes (noida-db does); a
        // response above this limit would fail the connection forever.
        consumerConfig["receive.message.max.bytes"] = consumerConfig["receive.message.max.bytes"] ?? "1073741824"
        let consumer = try KafkaConsumer(config: consumerConfig, groupID: "tally-rater", reportEndOfPartition: true)
        defer { consumer.close() }
        var adminConfig = KafkaConfig(config.kafkaProperties)
        adminConfig["bootstrap.servers"] = config.bootstrapServers
        let admin = try KafkaAdmin(config: adminConfig)
        var assignment: [(topic: String, partition: Int32, offset: KafkaOffset)] = []
        var atEnd: [String: Bool] = [:]
        for input in config.inputs {
            let count = try admin.partitionCount(of: input.topic) ?? 0
            for p in 0..<Int32(count) {
                let stored = positions.first { $0.topic == input.topic && $0.partition == p }
                assignment.append((input.topic, p, stored.map { .exact($0.offset) } ?? .beginning))
                atEnd["\(input.topic)/\(p)"] = false
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
        try consumer.assign(assignment)

        let batch = KafkaRecordBatch(capacity: 4096)
        var batchStart = WallClock.monotonicMillis()
        var samplesAtBatchStart = rater.counters.samplesIn
        var lastProgress = batchStart
        var lastGroupCommit = batchStart
        var drained = false
        while true {
            let stopping = shouldStop()
            if !stopping && !drained {
                var t0 = WallClock.monotonicMillis()
                try consumer.poll(into: batch, timeoutMs: 50)
                var t1 = WallClock.monotonicMillis()
                timing["poll", default: 0] += t1 - t0
                t0 = t1
                let wallNow = WallClock.now()
                for record in batch {
                    let topic = record.topic
                    if let ruleLog, topic == config.rulesTopic {
                        ruleLog.apply(eventBytes: Array(record.value), offset: record.offset)
                        continue
                    }
                    atEnd["\(topic)/\(record.partition)"] = false
                    rater.fold(InputRecord(topic: topic, partition: record.partition, offset: record.offset,
                                           key: record.key, value: record.value), wallNow: wallNow)
                }
                for end in batch.partitionEnds where !(ruleLog != nil && end.topic == config.rulesTopic) {
                    atEnd["\(end.topic)/\(end.partition)"] = true
                    rater.reachedEnd(topic: end.topic, partition: end.partition)
                }
                for error in batch.errors where error.isFatal { throw error }
                batch.release()
                t1 = WallClock.monotonicMillis()
                timing["fold", default: 0] += t1 - t0
            }
            let now = WallClock.monotonicMillis()
            let batchFull = rater.counters.samplesIn - samplesAtBatchStart >= UInt64(config.batchSamples)
            let allAtEnd = !atEnd.isEmpty && atEnd.values.allSatisfy { $0 }
            if batchFull || now - batchStart >= Int64(config.batchMillis) || stopping || allAtEnd {
                let endOfInput = options.untilDrained && allAtEnd
                let t0 = WallClock.monotonicMillis()
                let messages = try rater.commitBatch(wallNow: WallClock.now(), endOfInput: endOfInput)
                let t1 = WallClock.monotonicMillis()
                try send(messages)
                timing["commit", default: 0] += t1 - t0
                timing["send", default: 0] += WallClock.monotonicMillis() - t1
                batchStart = now
                samplesAtBatchStart = rater.counters.samplesIn
                if endOfInput { drained = true }
            }
            _ = try producer.poll(timeoutMs: 0) { try handle($0) }
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
                let t0 = WallClock.monotonicMillis()
                try producer.flush(timeoutMs: 30_000) { try handle($0) }
                timing["flush", default: 0] += WallClock.monotonicMillis() - t0
                if unacknowledged.isEmpty {
                    _ = try rater.commitBatch(wallNow: WallClock.now(), endOfInput: false)  // deletes acked outbox entries
                    return rater.counters
                }
            }
        }
    }

    private func send(_ messages: [OutgoingMessage]) throws {
        for message in messages {
            unacknowledged[message.token] = message
            try produce(message)
        }
    }

    private func produce(_ message: OutgoingMessage) throws {
        let handle = try topicHandles[message.topic] ?? {
            let h = try producer.topic(message.topic)
            topicHandles[message.topic] = h
            return h
        }()
        while true {
            do {
                try producer.produce(to: handle, partition: message.partition, key: message.key, value: message.value,
                                     token: message.token)
                return
            } catch let error as KafkaError where error.isQueueFull {
                _ = try producer.poll(timeoutMs: 10) { try self.handle($0) }
            }
        }
    }

    /// A delivery report: retire the outbox entry, or send it again after a
    /// retriable failure (the outbox keeps it until acknowledged either way).
    private func handle(_ report: KafkaDeliveryReport) throws {
        guard let message = unacknowledged[report.token] else { return }
        if let error = report.error {
            if error.isFatal { throw error }
            try produce(message)
            return
        }
        unacknowledged[report.token] = nil
        rater.acknowledge(report.token)
    }
}

extension ServiceConfig.Input.Format {
    var inputFormat: InputFormat {
        switch self {
        case .ceilometer: return .ceilometer
        case .native: return .native
        case .cloudevents: return .cloudEvents
        case .auto: return .nativeOrCloudEvents
        }
    }
}
