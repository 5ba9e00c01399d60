import TallyCore
import TallyEngine

/// What `/metrics` of `tally run` shows, taken on the rater's thread between batches
/// (RaterMetricsServer renders it on other threads).
public struct RaterObservation: Sendable {
    public struct ClockReading: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// The partition's event clock: nil until it delivered a sample.
        public var clock: EventTime?
        public init(topic: String, partition: Int32, clock: EventTime?) {
            self.topic = topic; self.partition = partition; self.clock = clock
        }
    }

    /// The rule book the pricer uses, when pricing follows the rule log.
    public struct RuleBook: Sendable, Equatable {
        /// Offset of the last accepted rule event (nil: none yet).
        public var version: Int64?
        /// Hash of the last chained event ("" before any).
        public var head: String
        public var acceptedEvents: Int
        public init(version: Int64?, head: String, acceptedEvents: Int) {
            self.version = version; self.head = head; self.acceptedEvents = acceptedEvents
        }
    }

    public var counters: Counters
    public var openWindows: Int
    public var positions: [PartitionPosition]
    public var clocks: [ClockReading]
    public var closingClock: EventTime?
    /// Per batch: the state transaction (LMDB write and commit) and closing the due windows.
    public var commitLatency: LatencyHistogram
    public var closeLatency: LatencyHistogram
    public var ruleBook: RuleBook?
    /// Group mode only (`tally run --group`, docs/SCALE.md).
    public var group: GroupObservation?

    public init(counters: Counters, openWindows: Int = 0, positions: [PartitionPosition] = [], clocks: [ClockReading] = [],
                closingClock: EventTime? = nil, commitLatency: LatencyHistogram = LatencyHistogram(),
                closeLatency: LatencyHistogram = LatencyHistogram(), ruleBook: RuleBook? = nil) {
        self.counters = counters; self.openWindows = openWindows; self.positions = positions; self.clocks = clocks
        self.closingClock = closingClock; self.commitLatency = commitLatency; self.closeLatency = closeLatency
        self.ruleBook = ruleBook
    }
}

/// The batch latencies the run loop records, from the engine's own phase timers.
struct BatchLatencies {
    var commit = LatencyHistogram()
    var close = LatencyHistogram()
}

extension RaterService {
    /// A snapshot for `/metrics`; call it on the thread that runs `run` (e.g. from `Options.progress`).
    public func observe() -> RaterObservation {
        RaterObservation(
            counters: rater.counters, openWindows: rater.openWindows, positions: rater.positions,
            clocks: rater.partitionClocks.map { .init(topic: $0.topic, partition: $0.partition, clock: $0.clock) },
            closingClock: rater.closingClock, commitLatency: latencies.commit, closeLatency: latencies.close,
            ruleBook: ruleLog.map { .init(version: $0.state.version, head: $0.state.head, acceptedEvents: $0.state.acceptedCount) })
    }

    /// `rater.commitBatch`, recording how long its close and store phases took this batch.
    func commitTimed(wallNow: EventTime, endOfInput: Bool) throws -> [OutgoingMessage] {
        let closeBefore = rater.phaseNanos["close"] ?? 0, storeBefore = rater.phaseNanos["store"] ?? 0
        let messages = try rater.commitBatch(wallNow: wallNow, endOfInput: endOfInput)
        latencies.close.record(nanos: (rater.phaseNanos["close"] ?? 0) &- closeBefore)
        latencies.commit.record(nanos: (rater.phaseNanos["store"] ?? 0) &- storeBefore)
        return messages
    }
}
