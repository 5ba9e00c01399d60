import TallyCore
import TallyKafka
import TallyRuntime
import TallyWire

/// `tally route`: reads the raw input topics in a consumer group and re-produces each
/// record's original bytes to `route.topic`, keyed by its resource (`RouteKeyFinder`), so
/// that every sample of one resource lands on one partition for the raters downstream.
///
/// Exactly once: each polled batch is one Kafka transaction holding its routed records,
/// its dead letters and the batch's consumed offsets (`sendOffsets`). A crash anywhere
/// leaves either all of it or none of it; the restarted instance (same `route.instance`)
/// fences the old one, the broker aborts what it left open, and reading resumes at the
/// offsets of the last committed transaction. Readers must use `read_committed`.
///
/// Rebalances happen only inside `poll`, when no transaction is open (each batch is
/// committed before the next poll); records of a partition revoked during that poll are
/// left for its new owner, which starts at the same committed offset.
public final class SampleRouter {
    public let config: ServiceConfig
    private let consumer: KafkaGroupConsumer
    private let producer: KafkaTransactionalProducer
    private let finder: RouteKeyFinder
    private let splitter = CeilometerRecordSplitter()
    private let inputs: [ServiceConfig.Input]
    /// Per input: the header that tells the rater how to decode the routed bytes, and the
    /// one naming the input topic.
    private let headers: [[KafkaHeader]]
    private let membership: RouteMembership
    private var inputOfTopic: [UInt: Int] = [:]
    private let log: (String) -> Void
    public private(set) var counters = RouteCounters()

    /// The header naming the format of a routed record's original bytes
    /// (`ceilometer`, `native`, `cloudevents` or `auto`).
    public static let formatHeader = "\(InputFormat.headerName)"
    /// The headers naming the original record of a routed one: its topic, partition and
    /// offset (decimal ASCII).
    public static let sourceTopicHeader = "tally-source-topic"
    public static let sourcePartitionHeader = "tally-source-partition"
    public static let sourceOffsetHeader = "tally-source-offset"

    public init(config: ServiceConfig, log: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.log = log
        inputs = config.routeInputs
        guard !inputs.isEmpty else {
            throw RouteError("no input topic to route: every configured input is the route topic \(config.route.topic)")
        }
        var kafka = KafkaConfig(bootstrapServers: config.bootstrapServers)
        for (key, value) in config.kafkaProperties { kafka[key] = value }
        let admin = try KafkaAdmin(config: kafka)
        if config.createTopics {
            _ = try admin.createTopic(config.route.topic, partitions: Int(config.route.partitions))
            _ = try admin.createTopic(config.deadLetterTopic, partitions: 1)
        }
        if let count = try admin.partitionCount(of: config.route.topic), count != Int(config.route.partitions) {
            throw RouteError("the route topic \(config.route.topic) has \(count) partitions, the configuration says \(config.route.partitions) (route.partitions): keys would move to other partitions")
        }
        membership = RouteMembership(log: log)
        let membership = membership
        // Static membership (KIP-345) under the instance's stable name: a restarted router
        // takes its predecessor's place and partitions at once, without waiting for the
        // group to notice the old member is gone (noida-db 0.2.3 never does; docs/SCALE.md).
        var consumerConfig = kafka
        if consumerConfig["group.instance.id"] == nil { consumerConfig["group.instance.id"] = config.route.transactionalID }
        // Eager rebalancing by default: a router keeps no state, so a rebalance costs it one
        // batch, and noida-db 0.2.3 mishandles cooperative rebalances of static members
        // (partitions revoked and reassigned in a loop; docs/SCALE.md). On Kafka, set
        // `partition.assignment.strategy: cooperative-sticky` in kafka.properties.
        if consumerConfig["partition.assignment.strategy"] == nil { consumerConfig["partition.assignment.strategy"] = "range" }
        consumer = try KafkaGroupConsumer(config: consumerConfig, groupID: config.route.group,
                                          onAssign: { membership.assigned($0) },
                                          onRevoke: { membership.revoked($0, lost: $1) })
        var producerConfig = kafka
        producerConfig["transaction.timeout.ms"] = String(config.route.transactionTimeoutMs)
        producer = try KafkaTransactionalProducer(config: producerConfig, transactionalID: config.route.transactionalID)
        // The metrics file says which metrics are keyed by their scope (`route_key`).
        let metrics: MetricsConfig
        do { metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile) } catch {
            throw RouteError("the metrics file \(config.metricsFile) (its route_key settings choose the keys): \(error)")
        }
        finder = RouteKeyFinder(inputs: inputs.map {
            ($0.format.inputFormat, DecoderOptions(acceptedPriorities: $0.priorities))
        }, routeKeys: Dictionary(metrics.metrics.map { ($0.key, $0.routeKey) }, uniquingKeysWith: { a, _ in a }))
        headers = inputs.map {
            [KafkaHeader(name: Self.formatHeader, value: Array($0.format.rawValue.utf8)),
             KafkaHeader(name: Self.sourceTopicHeader, value: Array($0.topic.utf8))]
        }
    }

    /// Routes until `shouldStop` says so (checked after every batch), then leaves the group.
    public func run(shouldStop: () -> Bool) throws -> RouteCounters {
        try retrying { try producer.initTransactions(timeoutMs: 30_000) }
        log("tally route: transactional id \(producer.transactionalID) registered (older instances fenced)")
        try consumer.subscribe(inputs.map(\.topic))
        let batch = KafkaRecordBatch(capacity: config.route.batchRecords)
        let output = try producer.topic(config.route.topic)
        let deadLetters = try producer.topic(config.deadLetterTopic)
        defer {
            batch.release()
            consumer.close()
        }
        while !shouldStop() {
            membership.revokedDuringPoll.removeAll(keepingCapacity: true)
            try consumer.poll(into: batch, timeoutMs: Int32(config.batchMillis))
            for error in batch.errors {
                if error.isFatal { throw error }
                log("tally route: consumer: \(error)")
            }
            counters.rebalances = consumer.rebalances
            guard !batch.isEmpty else { continue }
            try route(batch, output: output, deadLetters: deadLetters)
        }
        return counters
    }

    private func route(_ batch: KafkaRecordBatch, output: KafkaTopicHandle, deadLetters: KafkaTopicHandle) throws {
        var next: [KafkaPartitionID: Int64] = [:]
        var routed = 0, refused = 0, split = 0, produced = 0
        do {
            try producer.begin()
            for record in batch {
                let input = inputIndex(of: record)
                let partition = KafkaPartitionID(topic: inputs[input].topic, partition: record.partition)
                if membership.revokedDuringPoll.contains(partition) { continue }  // its new owner reads it
                let headers = routedHeaders(input: input, record: record)
                switch finder.find(input: input, value: record.value) {
                case .key(let key):
                    try key.withUnsafeBytes {
                        try producer.produce(to: output, key: $0, value: record.value, headers: headers)
                    }
                    routed += 1
                    produced += 1
                case .split(let keys, let groups, let sampleCount):
                    // One record per key, each holding only that key's samples (docs/SCALE.md).
                    let done = try splitter.split(record.value, sampleCount: sampleCount, groups: groups) { group, value in
                        try keys[group].withUnsafeBytes {
                            try producer.produce(to: output, key: $0, value: value, headers: headers)
                        }
                    }
                    if done {
                        split += 1
                        produced += groups.count
                    } else {
                        // Not a payload list the splitter can read (the decoder accepted it, so
                        // this should not happen): the record goes whole, under its first key.
                        try keys[0].withUnsafeBytes {
                            try producer.produce(to: output, key: $0, value: record.value, headers: headers)
                        }
                        produced += 1
                    }
                    routed += 1
                case .refused(let error, let rejections):
                    let letter = RouteDeadLetter.make(topic: partition.topic, record: record, error: error, rejections: rejections)
                    try letter.value.withUnsafeBytes {
                        try producer.produce(to: deadLetters, partition: 0, key: record.key, value: $0)
                    }
                    counters.deadLettersByReason[letter.reason.rawValue, default: 0] += 1
                    refused += 1
                }
                next[partition] = record.offset + 1
            }
            let offsets = next.map { KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
            try retrying { try producer.sendOffsets(offsets, of: consumer, timeoutMs: 30_000) }
            try retrying { try producer.commit(timeoutMs: 30_000) }
        } catch let error as KafkaTransactionError where error.kind == .abortable {
            // As librdkafka documents: abort, and read again from what was committed.
            log("tally route: transaction aborted, rereading from the committed offsets: \(error)")
            try retrying { try producer.abort(timeoutMs: 30_000) }
            try consumer.rewindToCommitted(timeoutMs: 30_000)
            counters.transactionsAborted += 1
            return
        }
        counters.transactionsCommitted += 1
        counters.recordsRouted += UInt64(routed)
        counters.recordsSplit += UInt64(split)
        counters.recordsProduced += UInt64(produced)
        counters.deadLetters += UInt64(refused)
    }

    /// The headers of a routed record: its format, and where the original record is
    /// (`tally-source-topic`, `-partition`, `-offset`), the audit trail of every record the
    /// router writes, split or not.
    private func routedHeaders(input: Int, record: KafkaRecord) -> [KafkaHeader] {
        headers[input] + [KafkaHeader(name: Self.sourcePartitionHeader, value: Array(String(record.partition).utf8)),
                          KafkaHeader(name: Self.sourceOffsetHeader, value: Array(String(record.offset).utf8))]
    }

    /// The index of the record's input, looked up by name once per topic.
    private func inputIndex(of record: KafkaRecord) -> Int {
        let identity = record.topicIdentity
        if let index = inputOfTopic[identity] { return index }
        let name = record.topic
        let index = inputs.firstIndex { $0.topic == name } ?? 0  // subscribed topics only
        inputOfTopic[identity] = index
        return index
    }

    /// Runs `body` again while it fails with a retriable transactional error (at most 10 times).
    private func retrying(_ body: () throws -> Void) throws {
        var attempt = 0
        while true {
            do { return try body() } catch let error as KafkaTransactionError where error.kind == .retriable && attempt < 10 {
                attempt += 1
                log("tally route: retrying (\(attempt)): \(error)")
            }
        }
    }
}

/// What `tally route` did, printed as `name value` lines when it stops.
public struct RouteCounters: Sendable {
    /// Input records routed (whole or split).
    public var recordsRouted: UInt64 = 0
    /// Input records whose samples had several keys, written as one record per key.
    public var recordsSplit: UInt64 = 0
    /// Records written to the route topic (one per routed record, one per key of a split one).
    public var recordsProduced: UInt64 = 0
    public var deadLetters: UInt64 = 0
    public var transactionsCommitted: UInt64 = 0
    public var transactionsAborted: UInt64 = 0
    public var rebalances = 0
    public var deadLettersByReason: [String: UInt64] = [:]

    public var rows: [(String, UInt64)] {
        [("records_routed", recordsRouted), ("records_split", recordsSplit), ("records_produced", recordsProduced),
         ("dead_letters", deadLetters),
         ("transactions_committed", transactionsCommitted), ("transactions_aborted", transactionsAborted),
         ("rebalances", UInt64(rebalances))]
            + deadLettersByReason.sorted { $0.key < $1.key }.map { ("dead_letters_\($0.key)", $0.value) }
    }
}

public struct RouteError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The partitions a router owns, logged as they move; the revocations of the current
/// poll, whose records already fetched belong to the new owner.
final class RouteMembership {
    var revokedDuringPoll: Set<KafkaPartitionID> = []
    private(set) var owned: Set<KafkaPartitionID> = []
    private let log: (String) -> Void

    init(log: @escaping (String) -> Void) { self.log = log }

    func assigned(_ partitions: [KafkaPartitionID]) {
        owned.formUnion(partitions)
        revokedDuringPoll.subtract(partitions)
        guard !partitions.isEmpty else { return }
        log("tally route: assigned \(Self.names(partitions)); owns \(owned.count) partition(s)")
    }

    func revoked(_ partitions: [KafkaPartitionID], lost: Bool) {
        owned.subtract(partitions)
        revokedDuringPoll.formUnion(partitions)
        guard !partitions.isEmpty else { return }
        log("tally route: \(lost ? "lost" : "revoked") \(Self.names(partitions)); owns \(owned.count) partition(s)")
    }

    private static func names(_ partitions: [KafkaPartitionID]) -> String {
        partitions.map(\.description).sorted().joined(separator: ", ")
    }
}
