import TallyCore
import TallyThreads

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
        state.reserve(events: records.count)
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
                outcomes.append(apply(consume decoded, offset: records[index].offset))
                index += 1
            }
        }
        precondition(index == records.count, "the decode thread handed over \(index) of \(records.count) records")
        return BulkFold(outcomes: outcomes, decodeThreadCPUNanos: decoder.finish())
    }
}

/// The second thread of `RuleLogReader.apply(records:)` (`tally-rules-dec` in top, perf and
/// `thread_cpu_ms`): decodes and hashes the records in order into batches and hands them
/// over through a `BoundedHandOff` of at most `depth` batches, closing it after the last.
// @unchecked: `cpuNanos` is written by the thread before it returns and read by `finish()`
// only after joining it (`FollowerThread.stop` waits on a semaphore the thread signals last);
// `records`, `batchSize` and the hand-off never change (the hand-off is thread-safe).
final class RuleLogDecodeThread: @unchecked Sendable {
    static let name = "tally-rules-dec"
    /// Batches decoded ahead at most: enough to ride over a slow stretch of either thread,
    /// few enough that the decoded events waiting stay in the cache.
    static let depth = 4
    /// What a decoded event leaves allocated, about (`ThreadHeap.reserve`).
    static let heapBytesPerRecord = 320
    private let records: [RuleLogReader.StoredRecord]
    private let batchSize: Int
    private let batches = BoundedHandOff<[DecodedRuleRecord]>(capacity: RuleLogDecodeThread.depth)
    private let thread = FollowerThread(name: RuleLogDecodeThread.name)
    private var cpuNanos: UInt64 = 0

    init(records: [RuleLogReader.StoredRecord], batchSize: Int, known: RuleEventDirectDecoder.KnownStrings) {
        self.records = records
        self.batchSize = batchSize
        thread.start { [self] in run(known: known) }
    }

    private func run(known start: RuleEventDirectDecoder.KnownStrings) {
        let started = threadCPUNanos()
        // What the decoded events allocate lives on in the state: ~300 bytes an event (the
        // stored hash's string, a rule's payload box), in this thread's own heap.
        ThreadHeap.reserve(bytes: records.count * RuleLogDecodeThread.heapBytesPerRecord)
        // The strings the next event likely repeats: the previous event's hash (the head
        // once it is chained) and its author. Only lent: the decoder compares bytes first.
        // And the names and reasons seen so far, interned by this thread alone.
        var known = start
        known.interner = RuleTextInterner()
        // The date the last event's times had and its day count: most events share it.
        var lastDate = TimestampParser.CommonDate()
        var from = 0
        while from < records.count {
            let to = min(from + batchSize, records.count)
            var batch: [DecodedRuleRecord] = []
            batch.reserveCapacity(to - from)
            for i in from..<to {
                batch.append(RuleLogReader.decode(records[i].bytes, known: &known, lastDate: &lastDate, hashEveryEvent: true))
            }
            batches.put(consume batch)
            from = to
        }
        cpuNanos = threadCPUNanos() - started
        batches.close()
    }

    /// The next batch in order, waiting for it; nil once every record was handed over.
    func next() -> [DecodedRuleRecord]? { batches.take() }

    /// Joins the thread (it has ended or is ending once `next` said nil) and returns the CPU
    /// time it used.
    func finish() -> UInt64 {
        thread.stop()
        return cpuNanos
    }
}
