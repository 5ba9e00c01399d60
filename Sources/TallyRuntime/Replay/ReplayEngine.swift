import TallyCore
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

    public init(config: ServiceConfig, metrics: MetricsConfig, inputs: [Input]) {
        self.config = config; self.metrics = metrics; self.inputs = inputs
    }

    /// Reads every configured input topic whole. Windows are at most a period long and
    /// samples may arrive late up to a metric's retention, so the records that feed a
    /// window of [from, to) can sit anywhere in a topic; reading it all is the simple
    /// correct choice (docs/REPLAY.md).
    public static func readInputs(config: ServiceConfig) throws -> [Input] {
        var out: [Input] = []
        for input in config.inputs {
            for r in try TopicIO.readAll(topic: input.topic, bootstrapServers: config.bootstrapServers) {
                out.append(Input(topic: input.topic, partition: r.partition, offset: r.offset, key: r.key, value: r.value))
            }
        }
        return out
    }

    /// Folds every record (each partition in offset order), closes every window at the
    /// end of input and returns the highest revision of each frame, by frame id.
    /// Everything is folded before the first commit, so no window closes early and no
    /// sample is judged late by the replay's own clock.
    public func run(pricer: WindowPricer, wallNow: EventTime = WallClock.now()) throws -> [String: FrameRecord] {
        let settings = EngineSettings(
            inputs: config.inputs.map { EngineSettings.Input(topic: $0.topic, format: $0.format.inputFormat) },
            framesTopic: config.framesTopic, framesPartitions: config.framesPartitions,
            deadLetterTopic: config.deadLetterTopic, deadLetterPartitions: 1, currency: config.currency)
        let rater = try StreamRater(settings: settings, metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
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
