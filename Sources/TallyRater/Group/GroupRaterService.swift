import Foundation
import TallyCore
import TallyEngine
import TallyKafka
import TallyRuntime
import TallyWire

/// `tally run` in group mode (docs/SCALE.md): one member of the consumer group
/// `rater.group_id` on the input topic, static member `rater.instance`, eager `range`
/// assignment, `read_committed`. Each assigned partition is a `GroupTask` with its own
/// state, restored from the changelog when it is assigned and committed in one Kafka
/// transaction per batch; a revoked partition's task is closed (uncommitted work is
/// dropped: the next owner reads from the committed offset) and its LMDB cache kept.
public final class GroupRaterService {
    public struct Options {
        /// Called about every second with the tasks' summed counters and open windows.
        public var progress: ((Counters, Int) -> Void)?
        /// Assignments, revocations, restores and transaction problems.
        public var log: (String) -> Void = { _ in }
        /// Called with `observe()` about every second, and during a restore as it progresses.
        public var observe: ((RaterObservation) -> Void)?
        /// Each rule event folded from the rule log while running (a rule change picked up live).
        public var ruleEvent: ((_ bytes: [UInt8], _ offset: Int64, _ outcome: RuleEventOutcome) -> Void)?
        public init() {}
    }

    public let config: ServiceConfig
    let metrics: MetricsConfig
    let pricer: WindowPricer
    /// Set when pricing follows the rule log: every task shares it, and it folds the log's
    /// events between batches (docs/SCALE.md, "Rule changes in group mode").
    let ruleLog: RuleLogPricer?
    /// The rule log and the corrections topic (set while `run` runs).
    private var side: GroupSideReader?
    private let input: ServiceConfig.Input
    private let stateLock: StateDirectoryLock
    private(set) var tasks: [Int32: GroupTask] = [:]
    /// Partitions revoked inside the current poll: records of theirs already fetched belong
    /// to the next owner (which reads them again from the committed offset).
    private var revokedDuringPoll: Set<Int32> = []
    private var callbackError: Error?
    /// What a task is made of (set while `run` runs: the consumer is one of them).
    private var parts: GroupTask.Parts?
    private(set) var log: (String) -> Void = { _ in }
    /// For `/metrics` and the stop summary.
    public private(set) var rebalances = 0
    public private(set) var restoredRecords = 0
    public private(set) var restoreMillis: Int64 = 0
    public private(set) var transactionsAborted = 0
    /// Tasks closed without committing because their producer was fenced (`migrated`).
    public private(set) var tasksMigrated = 0
    /// Partitions being restored right now, with the changelog records left to read.
    var restoringNow: [(topic: String, partition: Int32, remaining: Int64)] = []
    private var observer: ((RaterObservation) -> Void)?

    func task(of partition: Int32) -> GroupTask? { tasks[partition] }

    public init(config: ServiceConfig, metrics: MetricsConfig, pricer: WindowPricer) throws {
        guard config.inputs.count == 1, let input = config.inputs.first else {
            throw GroupModeError("group mode reads exactly one input topic (kafka.inputs has \(config.inputs.count)): "
                + "route the raw inputs to one keyed topic with `tally route` and rate that")
        }
        try Self.checkTiers(metrics: metrics, pricer: pricer)
        self.config = config
        self.metrics = metrics
        self.pricer = pricer
        ruleLog = pricer as? RuleLogPricer
        self.input = input
        try FileManager.default.createDirectory(atPath: config.statePath, withIntermediateDirectories: true)
        stateLock = try StateDirectoryLock(directory: config.statePath)
    }

    /// The partitions this rater owns now.
    public var assigned: [Int32] { tasks.keys.sorted() }

    private var kafka: KafkaConfig {
        var kafka = KafkaConfig(config.kafkaProperties)
        kafka["bootstrap.servers"] = config.bootstrapServers
        return kafka
    }

    /// Creates missing topics and refuses a layout that would put two writers on one chain.
    private func prepareTopics() throws {
        let admin = try KafkaAdmin(config: kafka)
        let group = config.raterGroup
        if config.createTopics {
            _ = try admin.createTopic(input.topic, partitions: Int(config.inputPartitions))
        }
        guard let inputs = try admin.partitionCount(of: input.topic) else {
            throw GroupModeError("the input topic \(input.topic) does not exist (kafka.create_topics is off)")
        }
        if config.createTopics {
            _ = try admin.createTopic(config.framesTopic, partitions: max(Int(config.framesPartitions), inputs))
            _ = try admin.createTopic(config.deadLetterTopic, partitions: 1)
            _ = try admin.createTopic(config.checkpointsTopic, partitions: 1)
            _ = try admin.createTopic(config.correctionsTopic, partitions: 1)
            if ruleLog != nil { try RuleLogClient(config: config).ensureTopic() }
            _ = try admin.createTopic(group.stateTopic, partitions: inputs, config: ["cleanup.policy": "compact"])
        }
        let frames = try admin.partitionCount(of: config.framesTopic) ?? 0
        guard frames >= inputs else {
            throw GroupModeError("the frames topic \(config.framesTopic) has \(frames) partition(s) but the input \(input.topic) has "
                + "\(inputs): in group mode the frames of input partition P go to frames partition P (one writer per chain); "
                + "give the frames topic at least \(inputs) partitions")
        }
        let states = try admin.partitionCount(of: group.stateTopic) ?? 0
        guard states >= inputs else {
            throw GroupModeError("the state topic \(group.stateTopic) (rater.state_topic) has \(states) partition(s) but the input "
                + "\(input.topic) has \(inputs): each input partition needs its own changelog partition")
        }
    }

    /// The side reader over the topics that exist (a topic created later is not followed
    /// until the next start, as with a single rater).
    private func makeSideReader() throws -> GroupSideReader {
        let admin = try KafkaAdmin(config: kafka)
        let rulesExist = try admin.partitionCount(of: config.rulesTopic) != nil
        let rules = ruleLog != nil && rulesExist ? config.rulesTopic : nil
        let corrections = try admin.partitionCount(of: config.correctionsTopic) != nil ? config.correctionsTopic : nil
        return try GroupSideReader(kafka: kafka, groupID: "\(config.raterGroup.groupID)-side", ruleLog: ruleLog,
                                   rulesTopic: rules, correctionsTopic: corrections)
    }

    public func run(options: Options = Options(), shouldStop: () -> Bool) throws -> Counters {
        log = options.log
        observer = options.observe
        try prepareTopics()
        var consumerConfig = kafka
        let group = config.raterGroup
        // Static membership and eager `range`, as `tally route` (docs/SCALE.md: noida-db
        // 0.2.3 never evicts a dead member and loops on cooperative rebalances of static members).
        if consumerConfig["group.instance.id"] == nil { consumerConfig["group.instance.id"] = "\(group.groupID)-\(group.instance)" }
        if consumerConfig["partition.assignment.strategy"] == nil { consumerConfig["partition.assignment.strategy"] = "range" }
        if consumerConfig["max.poll.interval.ms"] == nil { consumerConfig["max.poll.interval.ms"] = String(group.maxPollIntervalMs) }
        if consumerConfig["session.timeout.ms"] == nil { consumerConfig["session.timeout.ms"] = "6000" }
        if consumerConfig["receive.message.max.bytes"] == nil { consumerConfig["receive.message.max.bytes"] = "1073741824" }
        var settings = EngineSettings(
            inputs: [try input.engineInput()], framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        settings.correctionsTopic = config.correctionsTopic
        settings.checkpointsTopic = config.checkpointsTopic
        let consumer = try KafkaGroupConsumer(
            config: consumerConfig, groupID: group.groupID, reportEndOfPartition: true,
            onAssign: { [unowned self] in self.assign($0) },
            onRevoke: { [unowned self] partitions, lost in self.revoke(partitions, lost: lost) })
        parts = GroupTask.Parts(config: config, metrics: metrics, pricer: pricer, settings: settings, kafka: kafka, consumer: consumer)
        let side = try makeSideReader()
        self.side = side
        try consumer.subscribe([input.topic])
        log("tally run: group \(group.groupID) instance \(group.instance) subscribed to \(input.topic)")
        let batch = KafkaRecordBatch(capacity: 4096)
        var lastProgress = WallClock.monotonicMillis()
        defer {
            batch.release()
            consumer.close()
            side.close()
            self.side = nil
            tasks = [:]
            parts = nil
        }
        while true {
            let stopping = shouldStop()
            if !stopping {
                try readSide(side, options: options)
                revokedDuringPoll.removeAll(keepingCapacity: true)
                try consumer.poll(into: batch, timeoutMs: 50)
                rebalances = consumer.rebalances
                if let error = callbackError { throw error }
                for error in batch.errors {
                    if error.isFatal { throw error }
                    log("tally run: consumer: \(error)")
                }
                let wallNow = WallClock.now()
                for record in batch {
                    guard !revokedDuringPoll.contains(record.partition), let task = tasks[record.partition] else { continue }
                    // A routed record names its format (`tally route`'s `tally-format` header; docs/SCALE.md).
                    let input = InputRecord(topic: self.input.topic, partition: record.partition, offset: record.offset,
                                            key: record.key, value: record.value,
                                            formatHeader: record.headerBytes(named: InputFormat.headerName))
                    if task.rater.needsPreview { task.rater.preview(input, wallNow: wallNow) }
                    task.rater.fold(input, wallNow: wallNow)
                }
                for end in batch.partitionEnds where !revokedDuringPoll.contains(end.partition) {
                    tasks[end.partition]?.rater.reachedEnd(topic: end.topic, partition: end.partition)
                }
                batch.release()
            }
            let now = WallClock.monotonicMillis()
            for p in tasks.keys.sorted() {
                guard let task = tasks[p], stopping || task.isDue(nowMillis: now, batchSamples: config.batchSamples,
                                                                  batchMillis: config.batchMillis) else { continue }
                try commit(task, consumer: consumer, stopping: stopping)
            }
            if now - lastProgress >= 1000 {
                options.progress?(counters, tasks.values.reduce(0) { $0 + $1.rater.openWindows })
                observer?(self.observe())
                lastProgress = now
            }
            if stopping { return counters }
        }
    }

    /// The owned tasks' counters, summed (each task's are in its own state).
    public var counters: Counters {
        var total = Counters()
        for task in tasks.values { total.add(task.rater.counters) }
        return total
    }

    /// Commits one task's batch; after an abortable failure, aborts, reloads the task from
    /// its committed state and rewinds the consumer to the committed offsets. A task whose
    /// producer was fenced is migrated (`migrated`), whichever call found out.
    private func commit(_ task: GroupTask, consumer: KafkaGroupConsumer, stopping: Bool) throws {
        do {
            try task.commit(wallNow: WallClock.now())
        } catch where Self.isMigration(error, of: task) {
            try migrated(task, consumer: consumer, stopping: stopping)
        } catch let error as KafkaTransactionError where error.kind == .abortable {
            log("tally run: \(task.partition): transaction aborted, reloading the task from its committed state: \(error)")
            transactionsAborted += 1
            do { try task.abort() } catch where Self.isMigration(error, of: task) {
                return try migrated(task, consumer: consumer, stopping: stopping)
            }
            task.closeStore()
            tasks[task.partition.partition] = nil
            guard let parts else { return }
            tasks[task.partition.partition] = try openTask(task.partition, parts: parts)
            try consumer.rewindToCommitted(timeoutMs: 30_000)
        }
    }

    /// Kafka Streams' "task migrated": the task's producer was fenced (a newer producer
    /// registered its `transactional.id`, as the partition's next owner does when this member
    /// was expelled, e.g. after commits at stop outlasted `max.poll.interval.ms`) or failed
    /// for good. It can neither commit nor abort: the task is closed without committing (its
    /// LMDB transaction was rolled back; the open Kafka transaction is aborted by the next
    /// `initTransactions`), and whoever owns the partition reads the batch again from the
    /// committed offset, so nothing is lost or doubled.
    ///
    /// Rejoining: while the group still assigns the partition here (no revocation came),
    /// this member is that owner: the task is opened again (a new producer, restored from the
    /// changelog) and the partition rewound to its committed offset. If another member owns
    /// it, the revocation arrives with this member's next heartbeat; until then each fences
    /// the other's transactions, which only aborts batches. A stopping rater just closes it.
    private func migrated(_ task: GroupTask, consumer: KafkaGroupConsumer, stopping: Bool) throws {
        let partition = task.partition
        tasksMigrated += 1
        log("tally run: \(partition): task migrated (\(task.producerFailure.map { "\($0)" } ?? "producer failed")): "
            + "closed without committing; its batch is read again from the committed offset")
        task.abandon()
        task.closeStore()
        tasks[partition.partition] = nil
        guard !stopping, let parts, consumer.assignment.contains(partition) else { return }
        tasks[partition.partition] = try openTask(partition, parts: parts)
        try consumer.rewindToCommitted(only: [partition], timeoutMs: 30_000)
    }

    /// Whether a failure of `task`'s transaction means its producer is done for (fenced or
    /// broken): asked of the producer itself too, since a fenced delivery reads as abortable.
    private static func isMigration(_ error: Error, of task: GroupTask) -> Bool {
        task.producerFailure != nil || (error as? KafkaTransactionError)?.kind == .fatal
    }

    private func assign(_ partitions: [KafkaPartitionID]) {
        guard let parts else { return }
        for partition in partitions.sorted(by: { $0.partition < $1.partition }) where partition.topic == input.topic {
            revokedDuringPoll.remove(partition.partition)
            guard callbackError == nil else { return }
            do {
                tasks[partition.partition] = try openTask(partition, parts: parts)
            } catch {
                callbackError = error
            }
        }
        log("tally run: assigned \(partitions.map(\.description).sorted().joined(separator: ", ")); owns \(tasks.count) partition(s): "
            + assigned.map(String.init).joined(separator: ","))
    }

    private func openTask(_ partition: KafkaPartitionID, parts: GroupTask.Parts) throws -> GroupTask {
        defer { restoringNow.removeAll { $0.topic == partition.topic && $0.partition == partition.partition } }
        let task = try GroupTask(partition: partition, parts: parts) { [unowned self] offset, end in
            restoringNow.removeAll { $0.topic == partition.topic && $0.partition == partition.partition }
            restoringNow.append((partition.topic, partition.partition, max(0, end - offset - 1)))
            observer?(self.observe())
        }
        // Its corrections position: the side reader goes back for it if it is past it.
        try side?.needCorrections(from: try task.rater.correctionsNextOffset())
        let r = task.restored
        restoredRecords += r.applied
        restoreMillis += r.millis
        log("tally run: \(partition) restored: \(r.applied) changelog record(s), \(r.bytes) bytes in \(r.millis) ms "
            + "(cache stamp \(r.stampBefore.map(String.init) ?? "none")\(r.wiped ? ", cache wiped" : "")); "
            + "resumes at offset \(task.position.map(String.init) ?? "the group's committed offset")")
        return task
    }

    private func revoke(_ partitions: [KafkaPartitionID], lost: Bool) {
        for partition in partitions where partition.topic == input.topic {
            revokedDuringPoll.insert(partition.partition)
            tasks[partition.partition] = nil  // uncommitted work dropped; the LMDB cache stays on disk
        }
        log("tally run: \(lost ? "lost" : "revoked") \(partitions.map(\.description).sorted().joined(separator: ", ")); "
            + "owns \(tasks.count) partition(s)")
    }
}

public struct GroupModeError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
