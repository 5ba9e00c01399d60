import Foundation
import TallyCore
import TallyEngine
import TallyKafka
import TallyRuntime

/// `tally replay --apply`: publishes the replay's corrections as a command on the
/// corrections topic, for the rater to execute (it is the only writer of the frames
/// topic), and waits for the rater's receipts.
public enum ReplayCorrections {
    /// Frames per command record: a part stays far below a broker's message limit.
    public static let framesPerPart = 100

    /// What an apply did.
    public struct Outcome: Sendable {
        public var replayId: String
        /// Frames the command asks to correct (the changed windows that were emitted).
        public var requested: Int
        /// The rater's receipts, one per part, once it has executed every part (nil: queued).
        public var receipts: [CorrectionReceipt]?
        /// False when a command with this replay id was already on the topic (not published again).
        public var published: Bool

        public var emitted: Int? { receipts.map { $0.reduce(0) { $0 + $1.corrected.count } } }
        public var skipped: [CorrectionReceipt.Skipped] { receipts?.flatMap(\.skipped) ?? [] }
        /// frame id → the correction revision the rater emitted.
        public var corrected: [String: Int] {
            var out: [String: Int] = [:]
            for r in receipts ?? [] { out.merge(r.corrected) { a, _ in a } }
            return out
        }
    }

    /// The command parts for every window that changed and was emitted before: the
    /// replayed frame's content, and the revision the replay compared against.
    public static func commands(diff: ReplayDiff, request: ReplayRequest, replayId: String, author: String, reason: String,
                                rulesIdentity: String, ruleset: String?) -> [CorrectionCommand] {
        let items = diff.changed.compactMap { change -> CorrectionCommand.Item? in
            guard let old = change.old, change.new != nil, let frame = change.replayed,
                  case let .object(body) = frame.body else { return nil }
            return CorrectionCommand.Item(frameId: change.frameId, baseRevision: old.revision, body: body, partition: old.partition)
        }
        guard !items.isEmpty else { return [] }
        let chunks = stride(from: 0, to: items.count, by: framesPerPart).map { Array(items[$0..<min($0 + framesPerPart, items.count)]) }
        return chunks.enumerated().map { i, chunk in
            CorrectionCommand(replayId: replayId, part: i, parts: chunks.count, author: author, reason: reason,
                              rules: rulesIdentity, ruleset: ruleset, from: Timestamps.iso8601(request.from),
                              to: Timestamps.iso8601(request.to), items: chunk)
        }
    }

    /// Publishes `commands` (unless this replay id is on the topic already: concurrent or
    /// repeated applies of the same replay publish it once, and the rater executes each
    /// part once anyway), then waits up to `waitSeconds` for the rater's receipts.
    public static func apply(_ commands: [CorrectionCommand], replayId: String, config: ServiceConfig,
                             waitSeconds: Int) throws -> Outcome {
        let requested = commands.reduce(0) { $0 + $1.items.count }
        var outcome = Outcome(replayId: replayId, requested: requested, receipts: nil, published: false)
        guard !commands.isEmpty else { outcome.receipts = []; return outcome }
        try ensureTopic(config: config)
        let log = try CorrectionsLog.read(config: config)
        if log.commands.contains(where: { $0.command.replayId == replayId }) == false {
            try TopicIO.produce(commands.map(\.bytes), keys: commands.map { _ in Array(replayId.utf8) },
                                topic: config.correctionsTopic, bootstrapServers: config.bootstrapServers)
            outcome.published = true
        }
        outcome.receipts = try awaitReceipts(of: commands, config: config, waitSeconds: waitSeconds)
        return outcome
    }

    /// The receipts answering every item of `commands`, polling the topic until they are all
    /// there or `waitSeconds` have passed (nil then: the command stays queued for the rater).
    static func awaitReceipts(of commands: [CorrectionCommand], config: ServiceConfig, waitSeconds: Int) throws -> [CorrectionReceipt]? {
        let deadline = WallClock.monotonicMillis() + Int64(waitSeconds) * 1000
        while true {
            if let receipts = try CorrectionsLog.read(config: config).receipts(answering: commands) { return receipts }
            if WallClock.monotonicMillis() >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Creates the corrections topic (one partition) when missing and allowed, as the rater does.
    static func ensureTopic(config: ServiceConfig) throws {
        guard config.createTopics else { return }
        var adminConfig = KafkaConfig(config.kafkaProperties)
        adminConfig["bootstrap.servers"] = config.bootstrapServers
        _ = try KafkaAdmin(config: adminConfig).createTopic(config.correctionsTopic, partitions: 1)
    }
}

/// The corrections topic read back whole: commands and the rater's receipts.
public struct CorrectionsLog: Sendable {
    public var commands: [(offset: Int64, command: CorrectionCommand)] = []
    public var receipts: [(offset: Int64, receipt: CorrectionReceipt)] = []
    /// Records that are neither, by offset.
    public var malformed: [String] = []

    public init(records: [TopicIO.Record]) {
        for r in records {
            do {
                switch try CorrectionsRecord(bytes: r.value, offset: r.offset) {
                case .command(let c): commands.append((r.offset, c))
                case .receipt(let receipt): receipts.append((r.offset, receipt))
                }
            } catch {
                malformed.append("\(error)")
            }
        }
    }

    public static func read(config: ServiceConfig) throws -> CorrectionsLog {
        CorrectionsLog(records: try TopicIO.readAll(topic: config.correctionsTopic, bootstrapServers: config.bootstrapServers))
    }

    /// The receipts of `replayId`: one per executed part from a single rater, or in group
    /// mode one per part and partition (each task answers for its chain's items).
    public func receipts(of replayId: String) -> [CorrectionReceipt] {
        var seen = Set<String>()
        var out: [CorrectionReceipt] = []
        for (_, r) in receipts where r.replayId == replayId && seen.insert("\(r.part)/\(r.partition ?? -1)").inserted { out.append(r) }
        return out.sorted { ($0.part, $0.partition ?? -1) < ($1.part, $1.partition ?? -1) }
    }

    /// The receipts answering every item of `commands` (one replay's parts), or nil while
    /// some are missing. A part is answered by a receipt without a partition (a single
    /// rater executed all of it) or by a receipt of each partition its items name (group
    /// mode: a task per chain). Parts none of whose items name a partition need the former.
    public func receipts(answering commands: [CorrectionCommand]) -> [CorrectionReceipt]? {
        guard let replayId = commands.first?.replayId else { return [] }
        let all = receipts(of: replayId)
        var out: [CorrectionReceipt] = []
        for command in commands {
            let ofPart = all.filter { $0.part == command.part }
            if let whole = ofPart.first(where: { $0.partition == nil }) { out.append(whole); continue }
            let needed = Set(command.items.map { $0.partition ?? -1 })
            let answered = ofPart.filter { needed.contains($0.partition ?? -1) }
            guard !needed.contains(-1), Set(answered.compactMap(\.partition)) == needed else { return nil }
            out.append(contentsOf: answered)
        }
        return out
    }

    /// The command `receipt` answers (by its offset), or the first part of its replay with its part number.
    public func command(answering receipt: CorrectionReceipt) -> CorrectionCommand? {
        if let c = commands.first(where: { $0.offset == receipt.commandOffset }) { return c.command }
        return commands.first { $0.command.replayId == receipt.replayId && $0.command.part == receipt.part }?.command
    }
}
