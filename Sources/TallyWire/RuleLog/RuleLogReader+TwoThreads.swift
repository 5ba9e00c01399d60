import TallyCore
import Foundation

/// Folding many stored records at once (a rater's start-up, `tally rules` reading the whole
/// log) on two threads: decoding and hashing are pure (bytes in, event and content hash
/// out) and about half of the fold, so a second thread decodes and hashes records ahead
/// while this one applies them to the state. Records are applied in their order, each one
/// exactly as `apply(bytes:offset:)` would (the same outcome, rejection and message,
/// chain and state): only where the decoding runs changes. The hand-off is bounded (a few
/// batches of decoded records), so the decoder never runs far ahead of the state.
extension RuleLogReader {
    public typealias StoredRecord = (offset: Int64, bytes: [UInt8])

    /// The outcome of each record, in order, and the CPU time the decode thread used (0
    /// when the records were too few to start one: a thread costs more than it saves then).
    public struct BulkFold: Sendable {
        public var outcomes: [RuleEventOutcome]
        public var decodeThreadCPUNanos: UInt64
    }

    /// Folds `records` in order as `apply(bytes:offset:)` one by one would, decoding on a
    /// second thread when there are at least `threadFrom` of them. `batchSize`: records
    /// per hand-off (tests make it small to cross many batch edges).
    public mutating func apply(records: [StoredRecord], threadFrom: Int = 512, batchSize: Int = 256) -> BulkFold {
        guard records.count >= max(threadFrom, 1) else {
            return BulkFold(outcomes: records.map { apply(bytes: $0.bytes, offset: $0.offset) }, decodeThreadCPUNanos: 0)
        }
        let decoder = RuleLogDecodeThread(records: records, batchSize: max(batchSize, 1),
                                          known: .init(previousHash: state.head, author: lastAuthor))
        var outcomes: [RuleEventOutcome] = []
        outcomes.reserveCapacity(records.count)
        var index = 0
        while var batch = decoder.next() {
            for i in batch.indices {
                // Moved out, not copied: a copy retains each of the event's strings (cache
                // lines the decode thread's core wrote) and releasing the batch releases them.
                var decoded = DecodedRuleRecord.taken
                swap(&decoded, &batch[i])
                outcomes.append(apply(decoded, offset: records[index].offset))
                index += 1
            }
        }
        precondition(index == records.count, "the decode thread handed over \(index) of \(records.count) records")
        return BulkFold(outcomes: outcomes, decodeThreadCPUNanos: decoder.finish())
    }
}

/// The second thread of `RuleLogReader.apply(records:)`: decodes and hashes the records in
/// order into batches and hands them over through a queue of at most `depth` batches.
// @unchecked: `queue`, `done` and `cpuNanos` are read and written only under `condition`;
// `records` and the settings never change.
final class RuleLogDecodeThread: @unchecked Sendable {
    /// Batches decoded ahead at most: enough to ride over a slow stretch of either thread,
    /// few enough that the decoded events waiting stay in the cache.
    static let depth = 4
    private let records: [RuleLogReader.StoredRecord]
    private let batchSize: Int
    private let condition = NSCondition()
    private var queue: [[DecodedRuleRecord]] = []
    private var done = false
    private var cpuNanos: UInt64 = 0

    init(records: [RuleLogReader.StoredRecord], batchSize: Int, known: RuleEventDirectDecoder.KnownStrings) {
        self.records = records
        self.batchSize = batchSize
        let thread = Thread { [self] in run(known: known) }
        thread.name = "tally-rules-decode"
        thread.start()
    }

    private func run(known start: RuleEventDirectDecoder.KnownStrings) {
        let started = Self.threadCPUNanos()
        // The strings the next event likely repeats: the previous event's hash (the head
        // once it is chained) and its author. Only lent: the decoder compares bytes first.
        var known = start
        var from = 0
        while from < records.count {
            let to = min(from + batchSize, records.count)
            var batch: [DecodedRuleRecord] = []
            batch.reserveCapacity(to - from)
            for i in from..<to {
                let decoded = RuleLogReader.decode(records[i].bytes, known: known, hashEveryEvent: true)
                if case .event(let event, _) = decoded { known = .init(previousHash: event.hash, author: event.author) }
                batch.append(decoded)
            }
            put(batch)
            from = to
        }
        let used = Self.threadCPUNanos() - started
        condition.lock()
        done = true
        cpuNanos = used
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ batch: [DecodedRuleRecord]) {
        condition.lock()
        while queue.count >= Self.depth { condition.wait() }
        queue.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch in order, waiting for it; nil once every record was handed over.
    func next() -> [DecodedRuleRecord]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !done { condition.wait() }
        guard !queue.isEmpty else { return nil }
        condition.broadcast()
        return queue.removeFirst()
    }

    /// The decode thread's CPU time, once it has handed everything over (`next` said nil).
    func finish() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return cpuNanos
    }

    /// CLOCK_THREAD_CPUTIME_ID in nanoseconds.
    static func threadCPUNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
