import Foundation
import TallyCore
import TallyKafka
import TallyThreads

/// Follows the frames topic into a `FrameIndex` on a thread of its own, for as long as the
/// service runs: it starts at the offsets the index stored (the beginning for a new index),
/// indexes each batch in one transaction, and picks up partitions added to the topic.
/// Broker errors are kept for `/readyz` and retried; they never stop the service.
public final class FrameIndexFollower: @unchecked Sendable {
    /// What `/readyz` and `/metrics` report.
    public struct Status: Sendable {
        /// Every partition was read to its end at least once since the start. Sticky: a
        /// consumer session restarted after a broker error does not make the service unready.
        public var caughtUp = false
        public var partitions = 0
        public var batches = 0
        public var lastError: String?
        /// Partitions whose end the consumer reported at least once (of `partitions`).
        public var partitionsAtEnd = 0
        /// When the follower thread last returned from a poll: a stuck follower shows here.
        public var lastPoll: Date?
        /// What the follower thread is doing (and since when): a call that hangs shows here.
        public var phase = "starting"
        public var phaseSince = Date()
        /// The last high-watermark check that did not prove the index caught up: why not
        /// (records behind per partition, or the broker's error). For `/readyz`'s reason.
        public var watermarkCheck: String?
        /// Per non-empty batch: indexing it and committing the transaction (with its offsets).
        public var commitLatency = LatencyHistogram()
    }

    let index: FrameIndex
    let topic: String
    let kafka: KafkaConfig
    private let lock = NSLock()
    private var status = Status()
    /// Partitions read to their end at least once (guarded by `lock`); kept across consumer
    /// sessions, so a restarted session never makes a caught-up service unready again.
    private var reachedEnd = Set<Int32>()
    /// When a high-watermark check last ran (guarded by `lock`): the follower thread and
    /// `/readyz` share one rate limit, so a polling client cannot flood the broker.
    private var lastWatermarkCheck = Date.distantPast
    private var watermarkCheckRunning = false
    /// The least time between two high-watermark checks (tests set 0).
    var watermarkCheckInterval: TimeInterval = 1
    private let thread = FollowerThread(name: "tally-frame-idx")
    /// Where broker and index errors are named (once per distinct error); set before `start`.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(index: FrameIndex, topic: String, kafka: KafkaConfig) {
        self.index = index
        self.topic = topic
        self.kafka = kafka
    }

    public var current: Status { lock.withLock { status } }

    public func start() { thread.start { [self] in run() } }

    /// Asks the thread to stop and waits for it (at most one poll).
    public func stop() { thread.stop() }

    private var isStopping: Bool { thread.isStopping }

    private func update(_ change: (inout Status) -> Void) { lock.withLock { change(&status) } }

    private func run() {
        while !isStopping {
            do {
                try follow()
            } catch {
                let message = "\(error)"
                let repeated = current.lastError == message
                update { $0.lastError = message }
                // Named once per distinct error in the service's log; retried either way.
                if !repeated { log("tally serve: frame index: \(message) (retrying)") }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// One consumer session: assign, then poll until stopped or the partition count changes.
    private func enter(_ phase: String) { update { $0.phase = phase; $0.phaseSince = Date() } }

    private func follow() throws {
        enter("creating an admin client")
        let admin = try KafkaAdmin(config: kafka)
        enter("asking the partition count of \(topic)")
        guard let count = try admin.partitionCount(of: topic), count > 0 else {
            // No frames topic yet (the rater has not started): nothing to index, nothing behind.
            update { $0.caughtUp = true; $0.partitions = 0; $0.lastError = nil }
            Thread.sleep(forTimeInterval: 0.5)
            return
        }
        enter("reading the stored offsets")
        let stored = try index.storedOffsets()
        enter("creating the consumer")
        var config = kafka
        config["receive.message.max.bytes"] = "1073741824"
        let consumer = try KafkaConsumer(config: config, groupID: "tally-serve-index", reportEndOfPartition: true)
        defer { consumer.close() }
        enter("assigning \(count) partitions")
        try consumer.assign((0..<Int32(count)).map { p in (topic, p, stored[p].map(KafkaOffset.exact) ?? .beginning) })
        update { $0.partitions = count }
        enter("polling")
        let batch = KafkaRecordBatch(capacity: 2048)
        var lastPartitionCheck = Date()
        while !isStopping {
            try consumer.poll(into: batch, timeoutMs: 200)
            defer { batch.release() }
            if let error = batch.errors.first(where: { !$0.isRetriable }) { throw error }
            var applyNanos: UInt64?
            if !batch.isEmpty {
                let started = DispatchTime.now().uptimeNanoseconds
                try index.apply(batch.map { FrameIndex.Record(partition: $0.partition, offset: $0.offset, value: Array($0.value)) })
                applyNanos = DispatchTime.now().uptimeNanoseconds - started
            }
            let ends = batch.partitionEnds.map(\.partition)
            update { status in
                status.batches += batch.isEmpty ? 0 : 1
                if let applyNanos { status.commitLatency.record(nanos: applyNanos) }
                status.lastError = nil
                status.lastPoll = Date()
                reachedEnd.formUnion(ends)
                status.partitionsAtEnd = reachedEnd.count
                if reachedEnd.count >= count { status.caughtUp = true }
            }
            // End-of-partition events alone proved unreliable under load (CI saw every record
            // indexed and lag 0 for minutes without them): while idle, also compare the
            // stored offsets with the broker's high watermarks.
            if batch.isEmpty { confirmCaughtUp() }
            if Date().timeIntervalSince(lastPartitionCheck) > 5 {
                lastPartitionCheck = Date()
                // Partitions are only ever added. A metadata answer that fails or times out
                // (a loaded broker) is no reason to drop this session and start over.
                if let now = try? admin.partitionCount(of: topic), now > count { return }  // reassign with the new partitions
            }
        }
    }

    /// Marks the index caught up when it has stored the broker's high watermark of every
    /// partition of the frames topic. Asks the broker at most once per interval and one check
    /// at a time, each through a client of its own: CI saw this follower stay unready for
    /// minutes while `/metrics`, asking through a fresh client, reported lag 0 everywhere.
    /// Called by the follower thread while idle; returns the status after the check.
    @discardableResult
    public func confirmCaughtUp() -> Status {
        let due: Bool = lock.withLock {
            guard !status.caughtUp, !watermarkCheckRunning,
                  Date().timeIntervalSince(lastWatermarkCheck) >= watermarkCheckInterval else { return false }
            lastWatermarkCheck = Date()
            watermarkCheckRunning = true
            return true
        }
        guard due else { return current }
        defer { lock.withLock { watermarkCheckRunning = false } }
        let verdict: String?
        do {
            let lag = try self.lag()
            let behind = lag.filter { $0.value > 0 }
            if lag.isEmpty {
                verdict = "the broker reported no partitions of \(topic)"
            } else if behind.isEmpty {
                verdict = nil
            } else {
                verdict = "records behind the high watermark: "
                    + behind.sorted { $0.key < $1.key }.map { "partition \($0.key): \($0.value)" }.joined(separator: ", ")
            }
        } catch {
            verdict = "high watermarks not available: \(error)"
        }
        update { status in
            if let verdict { status.watermarkCheck = verdict } else { status.caughtUp = true; status.watermarkCheck = nil }
        }
        return current
    }

    /// For `/readyz`: the same check on a thread of its own, so a slow broker never holds a
    /// request thread; the answer shows in `current` (and the next `/readyz`) once it is in.
    public func confirmCaughtUpInBackground() {
        guard !current.caughtUp else { return }
        DispatchQueue.global().async { [self] in confirmCaughtUp() }
    }

    /// Consumer lag per partition: the broker's high watermark minus the next offset the index
    /// will read (for `/metrics`).
    public func lag() throws -> [Int32: Int64] {
        let admin = try KafkaAdmin(config: kafka)
        guard let count = try admin.partitionCount(of: topic) else { return [:] }
        return try lag(using: admin, partitions: count)
    }

    private func lag(using admin: KafkaAdmin, partitions count: Int) throws -> [Int32: Int64] {
        let stored = try index.storedOffsets()
        var out: [Int32: Int64] = [:]
        for p in 0..<Int32(count) {
            let marks = try admin.watermarks(topic: topic, partition: p)
            out[p] = max(0, marks.high - max(stored[p] ?? 0, marks.low))
        }
        return out
    }
}
