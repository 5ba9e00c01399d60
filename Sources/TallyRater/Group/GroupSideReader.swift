import TallyCore
import TallyEngine
import TallyKafka

/// What a rater in a group reads besides its input partitions (docs/SCALE.md): the rule
/// log's one partition, after what the shared pricer has folded, and the corrections
/// topic's one partition, from the lowest position of the owned tasks. A plain assigned
/// consumer of its own, polled in the service's loop: the group consumer's subscription
/// stays the input topic only (these partitions are not the group's to assign, and every
/// rater reads them whole).
///
/// Each task keeps its own corrections position in its state (committed in its
/// transaction, restored through the changelog); the reader serves the lowest of them and
/// every task passes over what it has read before, so a task that arrives behind the
/// others (restored, or reloaded after an abort) makes the reader go back for it.
final class GroupSideReader {
    private let consumer: KafkaConsumer
    private let rulesTopic: String?
    private let correctionsTopic: String?
    private let ruleLog: RuleLogPricer?
    /// The next corrections offset the reader will deliver (nil: the partition is not assigned).
    private(set) var correctionsPosition: Int64?
    let batch = KafkaRecordBatch(capacity: 1024)

    /// `rulesTopic` nil: pricing does not follow a rule log; `correctionsTopic` nil: the
    /// topic does not exist (nothing to execute).
    init(kafka: KafkaConfig, groupID: String, ruleLog: RuleLogPricer?, rulesTopic: String?, correctionsTopic: String?) throws {
        var config = kafka
        config["isolation.level"] = "read_committed"  // receipts are written in the tasks' transactions
        consumer = try KafkaConsumer(config: config, groupID: groupID)
        self.ruleLog = ruleLog
        self.rulesTopic = ruleLog == nil ? nil : rulesTopic
        self.correctionsTopic = correctionsTopic
        try reassign()
    }

    /// Makes sure the corrections partition is read from `offset` on (a task's next one):
    /// goes back when the reader is past it; never forward (other tasks may need more).
    func needCorrections(from offset: Int64) throws {
        guard correctionsTopic != nil else { return }
        if let position = correctionsPosition, position <= offset { return }
        correctionsPosition = offset
        try reassign()
    }

    /// The records of one poll (valid until the next): rule events and correction records, in
    /// offset order per partition. Moves the corrections position past what it delivers.
    func poll() throws -> KafkaRecordBatch {
        try consumer.poll(into: batch, timeoutMs: 0)
        for record in batch where record.topic == correctionsTopic {
            correctionsPosition = max(correctionsPosition ?? 0, record.offset + 1)
        }
        return batch
    }

    func isRuleEvent(_ record: KafkaRecord) -> Bool { record.topic == rulesTopic }

    func close() {
        batch.release()
        consumer.close()
    }

    /// Assigns the rule log after what the pricer folded (an event delivered twice is
    /// ignored by it) and the corrections partition at `correctionsPosition`.
    private func reassign() throws {
        var partitions: [(topic: String, partition: Int32, offset: KafkaOffset)] = []
        if let rulesTopic, let ruleLog {
            partitions.append((rulesTopic, 0, ruleLog.state.lastOffset.map { .exact($0 + 1) } ?? .beginning))
        }
        if let correctionsTopic, let position = correctionsPosition { partitions.append((correctionsTopic, 0, .exact(position))) }
        batch.release()
        try consumer.assign(partitions)
    }
}
