import Foundation
import TallyCore
import TallyKafka
import TallyRuntime
import TallyThreads
import TallyWire

/// Follows the rule log (`tally.rules`, one partition) on a thread of its own for as long as
/// the service runs: it reads the topic from the beginning, folds each record as every reader
/// does (`RuleLogReader`: chain, signatures' place in the hash, validation, the same
/// rejections) and publishes an immutable `RuleLogSnapshot` that requests read without
/// blocking. Broker errors are kept for readers and `/readyz` and retried; they never stop
/// the service.
///
/// Caught up: the fold has reached the partition's high watermark as the broker reported it
/// when the consumer session started (through a fresh client). No end-of-partition events are
/// involved (they proved unreliable on a loaded broker, see `FrameIndexFollower`).
public final class RuleLogFollower: @unchecked Sendable {
    public struct Status: Sendable {
        /// The fold reached the high watermark once. Sticky, as the frame index's.
        public var caughtUp = false
        /// The error that ended the last consumer session, until a poll succeeds again.
        public var lastError: String?
        /// The high watermark the first catch-up waits for (nil before it is known).
        public var target: Int64?
        /// Records folded so far (the next offset to read).
        public var folded: Int64 = 0
        public var lastPoll: Date?
    }

    let topic: String
    let bootstrapServers: String
    let kafka: KafkaConfig
    /// Where session errors are named (once per distinct error); set before `start`.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Told of every event folded after the history (changes picked up live); set before `start`.
    public var onLiveEvent: @Sendable (_ bytes: [UInt8], _ offset: Int64, _ outcome: RuleEventOutcome) -> Void = { _, _, _ in }

    /// Guards `published` and `status`; signalled on each new snapshot or status, and on stop.
    private let condition = NSCondition()
    private var published = RuleLogSnapshot.empty
    private var status = Status()
    private let thread = FollowerThread(name: "tally-rule-log")

    // Owned by the follower thread.
    private var reader = RuleLogReader()
    private var records: [RuleLogSnapshot.Record] = []
    private var nextOffset: Int64 = 0
    /// Offsets below this were the history when the service started: not logged as live changes.
    private var historyEnd: Int64?

    public init(topic: String, kafka: KafkaConfig) {
        self.topic = topic
        self.kafka = kafka
        self.bootstrapServers = kafka["bootstrap.servers"] ?? ""
    }

    public func start() { thread.start { [self] in run() } }

    /// Asks the thread to stop and waits for it (at most one poll); waiting readers are woken.
    public func stop() { thread.stop(wake: { condition.withLock { condition.broadcast() } }) }

    public var current: (snapshot: RuleLogSnapshot, status: Status) { condition.withLock { (published, status) } }

    /// The snapshot once the log was read to its end, waiting at most `timeout` for the first
    /// catch-up. Throws the broker's error, or that the history is still being read.
    func readable(timeout: TimeInterval) throws -> RuleLogSnapshot {
        let deadline = Date().addingTimeInterval(timeout)
        return try condition.withLock {
            while !status.caughtUp && status.lastError == nil && !isStopping && condition.wait(until: deadline) {}
            if let error = status.lastError { throw unavailable(error) }
            guard status.caughtUp else {
                throw unavailable("still reading its history after \(Int(timeout)) s: \(status.folded) of "
                                  + "\(status.target.map(String.init) ?? "?") records folded")
            }
            return published
        }
    }

    /// The first snapshot that has folded the record at `offset` (the service's own write),
    /// waiting at most `timeout`; nil when it did not come in time.
    func waitUntilFolded(_ offset: Int64, timeout: TimeInterval) -> RuleLogSnapshot? {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while published.nextOffset <= offset && !isStopping && condition.wait(until: deadline) {}
            return published.nextOffset > offset ? published : nil
        }
    }

    /// The 503 every reader of an unavailable log gets, naming the topic, the broker and why.
    func unavailable(_ reason: String) -> APIError {
        APIError(.serviceUnavailable, "the rule log \(topic) at \(bootstrapServers) is unavailable: \(reason)")
    }

    private var isStopping: Bool { thread.isStopping }

    private func update(_ change: (inout Status) -> Void) {
        condition.withLock { change(&status); condition.broadcast() }
    }

    private func run() {
        while !isStopping {
            do {
                try follow()
            } catch {
                let message = "\(error)"
                let repeated = current.status.lastError == message
                update { $0.lastError = message }
                if !repeated { log("tally serve: rule log: \(message) (retrying)") }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// One consumer session: from the next offset to fold until stopped or an error.
    private func follow() throws {
        let admin = try KafkaAdmin(config: kafka)
        guard let count = try admin.partitionCount(of: topic) else {
            // No rule topic yet: nothing was ever written, so the empty log is the whole log.
            // Looked for again shortly: the first write (ours or another writer's) creates it.
            if historyEnd == nil { historyEnd = 0 }
            update { $0.caughtUp = true; $0.lastError = nil; $0.target = 0; $0.lastPoll = Date() }
            Thread.sleep(forTimeInterval: 0.2)
            return
        }
        guard count == 1 else { throw RuleLogClientError("topic \(topic) has \(count) partitions; the rule log needs exactly 1") }
        let high = try admin.watermarks(topic: topic, partition: 0).high
        if historyEnd == nil { historyEnd = high }
        var config = kafka
        config["receive.message.max.bytes"] = "1073741824"  // brokers may exceed fetch.max.bytes
        // A write waits for its own event to come back: keep the fetch short. It is also how
        // often the parked (caught-up) log is checked for growth (EndOfPartitionParking.swift).
        config["fetch.wait.max.ms"] = "50"
        let consumer = try KafkaConsumer(config: config, groupID: "tally-serve-rules")
        defer { consumer.close() }
        try consumer.assign([(topic, 0, nextOffset == 0 ? .beginning : .exact(nextOffset))])
        publish(topicExists: true)
        update { status in
            status.target = status.target ?? high
            if nextOffset >= high { status.caughtUp = true }
        }
        let batch = KafkaRecordBatch(capacity: 1024)
        while !isStopping {
            try consumer.poll(into: batch, timeoutMs: 100)
            defer { batch.release() }
            if let error = batch.errors.first(where: { !$0.isRetriable }) { throw error }
            var folded = false
            for record in batch where record.partition == 0 && record.offset >= nextOffset {
                let bytes = Array(record.value)
                let outcome = reader.apply(bytes: bytes, offset: record.offset)
                records.append(.init(offset: record.offset, bytes: bytes, outcome: outcome))
                nextOffset = record.offset + 1
                folded = true
                if record.offset >= historyEnd ?? 0 { onLiveEvent(bytes, record.offset, outcome) }
            }
            let caughtUp = current.status.caughtUp || nextOffset >= high
            // While the history is read nobody reads snapshots: build one only once caught up.
            if folded && caughtUp { publish(topicExists: true) }
            update { status in
                status.folded = nextOffset
                status.lastError = nil
                status.lastPoll = Date()
                if caughtUp { status.caughtUp = true }
            }
        }
    }

    private func publish(topicExists: Bool) {
        let snapshot = RuleLogSnapshot(state: reader.state, records: records, nextOffset: nextOffset,
                                       topicExists: topicExists, at: WallClock.now())
        condition.withLock { published = snapshot; condition.broadcast() }
    }
}
