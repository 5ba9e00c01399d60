import TallyCore
import TallyKafka
import TallyEngine
import TallyWire

/// Runs the rater's engine over input records read back from the input topics, in a
/// scratch `MemoryStateStore` (never the live state, never live offsets), and returns
/// the latest frame of every window it closed. Settings mirror the live rater's (frames
/// topic and partition count, currency, input formats), so frame ids, output partitions
/// and content hashes come out the same.
public struct ReplayEngine {
    /// One input record as read from Kafka.
    public struct Input: Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]?
        public var value: [UInt8]
    }

    public let config: ServiceConfig
    public let metrics: MetricsConfig
    public let inputs: [Input]
    /// The live rater's conflicting-duplicate decisions, taken as made (docs/CONFIG.md).
    public let refusedCopies: [RefusedCopy]

    public init(config: ServiceConfig, metrics: MetricsConfig, inputs: [Input], refusedCopies: [RefusedCopy] = []) {
        self.config = config; self.metrics = metrics; self.inputs = inputs; self.refusedCopies = refusedCopies
    }

    /// Reads the inputs from `since` on (`readInputs`) and the rater's conflicting-duplicate decisions.
    public static func reading(config: ServiceConfig, metrics: MetricsConfig, since: EventTime?) throws -> ReplayEngine {
        ReplayEngine(config: config, metrics: metrics, inputs: try readInputs(config: config, metrics: metrics, since: since),
                     refusedCopies: try RefusedCopiesReader.read(config: config))
    }

    /// Reads the configured input topics from where records of windows starting at
    /// `since` (or just before: earlier windows seed counters) can begin: the first
    /// offset whose record timestamp is at least `since − longest period − longest
    /// counter retention − max future skew − 1 h`, found with offsets_for_times. A record is stamped when produced, and
    /// a sample cannot be produced before its own time minus the allowed skew, so nothing
    /// earlier can belong to those windows (late samples come later, not earlier). Without
    /// `since`, or where the broker has no offsets_for_times (librdkafka's mock cluster),
    /// the topics are read whole (docs/REPLAY.md).
    public static func readInputs(config: ServiceConfig, metrics: MetricsConfig? = nil, since: EventTime? = nil) throws -> [Input] {
        var lowerBoundMs: Int64?
        if let since, let metrics, !config.replayReadsWholeTopics {
            let longest = metrics.metrics.map { $0.period.window(containing: since).length.micros }.max() ?? 0
            // A counter after an outage starts from its last point up to its retention earlier.
            let gap = metrics.metrics.filter { $0.aggregation == .increase }.map(\.retention.micros).max() ?? 0
            let bound = since.micros - longest - gap - metrics.maxFutureSkew.micros - 3_600_000_000
            lowerBoundMs = bound / 1000
        }
        var out: [Input] = []
        for input in config.inputs {
            var from: [Int32: Int64] = [:]
            if let lowerBoundMs {
                from = (try? startOffsets(topic: input.topic, config: config, timestampMs: lowerBoundMs)) ?? [:]
            }
            for r in try TopicIO.readAll(topic: input.topic, bootstrapServers: config.bootstrapServers, from: from) {
                out.append(Input(topic: input.topic, partition: r.partition, offset: r.offset, key: r.key, value: r.value))
            }
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

    /// Folds every record (each partition in offset order), closes every window at the
    /// end of input and returns the highest revision of each frame, by frame id.
    /// Everything is folded before the first commit, so no window closes early and no
    /// sample is judged late by the replay's own clock.
    public func run(pricer: WindowPricer, wallNow: EventTime = WallClock.now()) throws -> [String: FrameRecord] {
        let settings = EngineSettings(
            inputs: try config.inputs.map { try $0.engineInput() },
            framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        let rater = try StreamRater(settings: settings, metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
        rater.honour(refusedCopies: refusedCopies)
        for input in inputs {
            var bytes = input.value
            bytes.withUnsafeMutableBytes { raw in
                rater.fold(InputRecord(topic: input.topic, partition: input.partition, offset: input.offset,
                                       key: nil, value: UnsafeRawBufferPointer(raw)), wallNow: wallNow)
            }
        }
        let sent = try rater.commitBatch(wallNow: wallNow, endOfInput: true)
        var latest: [String: FrameRecord] = [:]
        for message in sent where message.topic == config.framesTopic {
            let frame = try FrameRecord(bytes: message.value)
            if let seen = latest[frame.frameId], seen.revision >= frame.revision { continue }
            latest[frame.frameId] = frame
        }
        return latest
    }
}
