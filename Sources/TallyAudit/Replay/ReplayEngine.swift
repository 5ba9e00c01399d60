import TallyCore
import TallyKafka
import TallyEngine
import TallyRuntime
import TallyWire

/// Runs the rater's engine over input records read back from the input topics, in a
/// scratch `MemoryStateStore` (never the live state, never live offsets), and hands over
/// every frame it closes as a value. Settings mirror the live rater's (frames topic and
/// partition count, currency, input formats), so frame ids, output partitions and content
/// hashes come out the same. The input is streamed: each fetched batch is folded in place
/// and let go, so memory holds the engine's windows, not the topics.
public struct ReplayEngine {
    /// One input record held in memory (tests, and callers with records at hand).
    public struct Input: Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]?
        public var value: [UInt8]
        public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]? = nil, value: [UInt8]) {
            self.topic = topic; self.partition = partition; self.offset = offset; self.key = key; self.value = value
        }
    }

    /// Where the records come from: partitions of the input topics (read anew by every
    /// run, up to the ends fixed when the engine was made), or records at hand.
    public enum Source: Sendable {
        case topics([PartitionReader.Range], bootstrapServers: String)
        case records([Input])
    }

    public let config: ServiceConfig
    public let metrics: MetricsConfig
    public let source: Source
    /// The live rater's conflicting-duplicate decisions, taken as made (docs/CONFIG.md).
    public let refusedCopies: [RefusedCopy]

    public init(config: ServiceConfig, metrics: MetricsConfig, source: Source, refusedCopies: [RefusedCopy] = []) {
        self.config = config; self.metrics = metrics; self.source = source; self.refusedCopies = refusedCopies
    }

    public init(config: ServiceConfig, metrics: MetricsConfig, inputs: [Input], refusedCopies: [RefusedCopy] = []) {
        self.init(config: config, metrics: metrics, source: .records(inputs), refusedCopies: refusedCopies)
    }

    /// Plans the inputs from `since` on (`inputRanges`) and reads the rater's conflicting-duplicate decisions.
    public static func reading(config: ServiceConfig, metrics: MetricsConfig, since: EventTime?) throws -> ReplayEngine {
        ReplayEngine(config: config, metrics: metrics,
                     source: .topics(try inputRanges(config: config, metrics: metrics, since: since),
                                     bootstrapServers: config.bootstrapServers),
                     refusedCopies: try RefusedCopiesReader.read(config: config))
    }

    /// The configured input topics' partitions, each from where records of windows starting
    /// at `since` (or just before: earlier windows seed counters) can begin to its current
    /// end: the first offset whose record timestamp is at least `since − longest period −
    /// longest counter retention − max future skew − 1 h`, found with offsets_for_times. A
    /// record is stamped when produced, and a sample cannot be produced before its own time
    /// minus the allowed skew, so nothing earlier can belong to those windows (late samples
    /// come later, not earlier). Without `since`, or where the broker has no offsets_for_times
    /// (librdkafka's mock cluster), the topics are read whole (docs/REPLAY.md).
    public static func inputRanges(config: ServiceConfig, metrics: MetricsConfig? = nil,
                                   since: EventTime? = nil) throws -> [PartitionReader.Range] {
        var lowerBoundMs: Int64?
        if let since, let metrics, !config.replayReadsWholeTopics {
            let longest = metrics.metrics.map { $0.period.window(containing: since).length.micros }.max() ?? 0
            // A counter after an outage starts from its last point up to its retention earlier.
            let gap = metrics.metrics.filter { $0.aggregation == .increase }.map(\.retention.micros).max() ?? 0
            let bound = since.micros - longest - gap - metrics.maxFutureSkew.micros - 3_600_000_000
            lowerBoundMs = bound / 1000
        }
        var out: [PartitionReader.Range] = []
        for input in config.inputs {
            var from: [Int32: Int64] = [:]
            if let lowerBoundMs {
                from = (try? startOffsets(topic: input.topic, config: config, timestampMs: lowerBoundMs)) ?? [:]
            }
            out += try PartitionReader.plan(topic: input.topic, bootstrapServers: config.bootstrapServers, from: from)
        }
        return out
    }

    /// Each partition's first offset stamped at or after `timestampMs` (its end when none is).
    static func startOffsets(topic: String, config: ServiceConfig, timestampMs: Int64) throws -> [Int32: Int64] {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: config.bootstrapServers))
        guard let count = try admin.partitionCount(of: topic), count > 0 else { return [:] }
        var request: [Int32: Int64] = [:]
        for p in 0..<Int32(count) { request[p] = timestampMs }
        var offsets = try admin.offsetsForTimes(topic: topic, timestampsMs: request)
        for (p, offset) in offsets where offset < 0 { offsets[p] = try admin.watermarks(topic: topic, partition: p).high }
        return offsets
    }

    /// Folds every record (topic by topic, each partition in offset order), closes every
    /// window at the end of input (nothing is written to the scratch store) and hands each
    /// frame to `frame` as it closes, with its sealed bytes. A window revised within the run (a tier cycle re-priced) comes again
    /// with a higher revision: the latest counts. Everything is folded before the first
    /// commit, so no window closes early and no sample is judged late by the replay's own clock.
    /// `beforeClosing` runs once every record is folded, before the first frame closes.
    public func run(pricer: WindowPricer, wallNow: EventTime = WallClock.now(), beforeClosing: () throws -> Void = {},
                    frame: @escaping (Frame, [UInt8]) -> Void) throws {
        let settings = EngineSettings(
            inputs: try config.inputs.map { try $0.engineInput() },
            framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        let rater = try StreamRater(settings: settings, metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
        rater.honour(refusedCopies: refusedCopies)
        rater.frameSink = frame
        defer { rater.frameSink = nil }
        switch source {
        case let .topics(ranges, bootstrapServers):
            try PartitionReader.forEach(ranges, bootstrapServers: bootstrapServers) { record, range in
                rater.fold(InputRecord(topic: range.topic, partition: record.partition, offset: record.offset,
                                       key: nil, value: record.value,
                                       formatHeader: record.headerBytes(named: InputFormat.headerName)), wallNow: wallNow)
            }
        case let .records(inputs):
            for input in inputs {
                input.value.withUnsafeBytes { raw in
                    rater.fold(InputRecord(topic: input.topic, partition: input.partition, offset: input.offset,
                                           key: nil, value: raw), wallNow: wallNow)
                }
            }
        }
        try beforeClosing()
        try rater.closeEverything(wallNow: wallNow)
    }

    /// The highest revision of each frame id the run closes, as records (verify compares
    /// member by member). Built from the engine's frame values: nothing is parsed back.
    public func latestFrames(pricer: WindowPricer, wallNow: EventTime = WallClock.now()) throws -> [String: FrameRecord] {
        var latest: [String: FrameRecord] = [:]
        try run(pricer: pricer, wallNow: wallNow) { frame, bytes in
            if let seen = latest[frame.frameId], seen.revision >= frame.revision { return }
            latest[frame.frameId] = FrameRecord(frame: frame, bytes: bytes)
        }
        return latest
    }
}
