import TallyCore
import TallyKafka
import TallyWire

/// Reads, writes and checks the rule log (`tally.rules`, one partition) for
/// `tally rules` and the rater. Whole-log reads: the log is small next to usage, and
/// every reader must fold it from offset 0 to reach the same state.
public struct RuleLogClient: Sendable {
    /// One stored record of the log.
    public typealias StoredEvent = (offset: Int64, bytes: [UInt8])

    /// What became of one published event once the log was read back.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case accepted(offset: Int64)
        case rejected(offset: Int64, RuleEventRejection)
        /// Another writer published first (`stale-head`): re-read the log and apply again.
        case retry(offset: Int64, RuleEventRejection)

        public var description: String {
            switch self {
            case .accepted(let offset): return "accepted at offset \(offset)"
            case .rejected(let offset, let r): return "rejected at offset \(offset): \(r)"
            case .retry(let offset, let r): return "retry (offset \(offset)): \(r)"
            }
        }

        public var isAccepted: Bool { if case .accepted = self { return true } else { return false } }
    }

    public let bootstrapServers: String
    public let topic: String

    public init(bootstrapServers: String, topic: String = "tally.rules") {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
    }

    public init(config: ServiceConfig) {
        self.init(bootstrapServers: config.bootstrapServers, topic: config.rulesTopic)
    }

    /// Creates the topic with one partition if it is missing (kept forever: readers fold
    /// from offset 0). Refuses a topic with more than one partition: a log split over
    /// partitions has no order.
    public func ensureTopic() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers))
        if let count = try admin.partitionCount(of: topic) {
            guard count == 1 else { throw RuleLogClientError("topic \(topic) has \(count) partitions; the rule log needs exactly 1") }
            return
        }
        try admin.createTopic(topic, partitions: 1, config: ["retention.ms": "-1"])
    }

    /// Every stored record in offset order (empty when the topic does not exist), or
    /// those after `offset`.
    public func readEvents(after offset: Int64? = nil) throws -> [StoredEvent] {
        let from: [Int32: Int64] = offset.map { [0: $0 + 1] } ?? [:]
        return try TopicIO.readAll(topic: topic, bootstrapServers: bootstrapServers, from: from).compactMap { record in
            record.partition == 0 ? (record.offset, record.value) : nil
        }
    }

    /// The fold of the whole log.
    public func readState() throws -> RuleLogState { try Self.fold(readEvents()).state }

    /// Folds stored records (decoding on a second thread when there are many:
    /// `RuleLogReader.apply(records:)`); `outcomes` has each record's outcome by offset.
    public static func fold(_ events: [StoredEvent], into start: RuleLogReader = RuleLogReader())
        -> (state: RuleLogState, outcomes: [Int64: RuleEventOutcome]) {
        var reader = start
        var outcomes: [Int64: RuleEventOutcome] = [:]
        for (event, outcome) in zip(events, reader.apply(records: events).outcomes) { outcomes[event.offset] = outcome }
        return (reader.state, outcomes)
    }

    /// Publishes the prepared events, reads the log back and reports what every reader
    /// made of each of them, in order.
    public func publish(_ publication: RuleLogPublication) throws -> [Outcome] {
        try ensureTopic()
        try TopicIO.produce(publication.records, topic: topic, bootstrapServers: bootstrapServers, partitions: 1)
        let stored = try readEvents()
        let (_, outcomes) = Self.fold(stored)
        return try publication.events.map { event in
            // The same id and hash stored twice (a producer retry) counts once: the first copy.
            guard let record = stored.first(where: { RuleEventCodec.isCanonical($0.bytes, of: event) }) else {
                throw RuleLogClientError("event \(event.id) was acknowledged but is not in \(topic) when read back")
            }
            switch outcomes[record.offset] {
            case .accepted?: return .accepted(offset: record.offset)
            case .rejected(let r)? where r.code == .staleHead: return .retry(offset: record.offset, r)
            case .rejected(let r)?: return .rejected(offset: record.offset, r)
            case .alreadyFolded?, nil: throw RuleLogClientError("event \(event.id) at offset \(record.offset) was not folded")
            }
        }
    }

    /// Walks the stored chain (`RuleLogVerification.verify`).
    public func verify(expectedHead: String? = nil) throws -> ChainReport {
        RuleLogVerification.verify(events: try readEvents(), expectedHead: expectedHead)
    }
}

/// A rule-log operation that cannot go on, with the reason.
public struct RuleLogClientError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
