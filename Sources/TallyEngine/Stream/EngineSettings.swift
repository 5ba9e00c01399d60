import TallyCore
import TallyWire

/// What the engine needs to know about its topics and output, independent of
/// how the runtime talks to Kafka.
public struct EngineSettings: Sendable {
    public struct Input: Sendable, Equatable {
        public var topic: String
        public var format: InputFormat
        /// Signature checking and accepted notification priorities (docs/INPUTS.md).
        public var decoding: DecoderOptions
        /// What to do with samples of meters the metrics file does not configure.
        public var unknownMeters: UnknownMeterPolicy
        public init(topic: String, format: InputFormat, decoding: DecoderOptions = DecoderOptions(),
                    unknownMeters: UnknownMeterPolicy = .deadLetter) {
            self.topic = topic; self.format = format; self.decoding = decoding; self.unknownMeters = unknownMeters
        }
    }

    public var inputs: [Input]
    public var framesTopic: String
    public var framesPartitions: Int32
    /// Set in group mode (docs/SCALE.md): every frame of this task goes to this frames
    /// partition (the task's input partition), so each chain has one writer and a
    /// resource's revisions stay on one partition; checkpoints anchor this partition only.
    /// nil (one rater owns everything): a frame's partition is a hash of its scope.
    public var ownedFramesPartition: Int32?
    public var deadLetterTopic: String
    public var deadLetterPartitions: Int32
    /// Correction commands in, receipts out (one partition; docs/REPLAY.md).
    public var correctionsTopic = "tally.corrections"
    /// Checkpoints of the frames chains (one partition; docs/REPLAY.md).
    public var checkpointsTopic = "tally.checkpoints"
    public var currency: String
    public var engineVersion: String
    /// How often (wall clock) closed windows and dedupe keys past retention are purged.
    public var maintenanceInterval: TimeSpan

    public init(inputs: [Input], framesTopic: String = "tally.frames", framesPartitions: Int32 = 3,
                deadLetterTopic: String = "tally.deadletter", deadLetterPartitions: Int32 = 1,
                currency: String = "EUR", engineVersion: String = TallyVersion.current,
                maintenanceInterval: TimeSpan = .seconds(30)) {
        self.inputs = inputs; self.framesTopic = framesTopic; self.framesPartitions = framesPartitions
        self.deadLetterTopic = deadLetterTopic; self.deadLetterPartitions = deadLetterPartitions
        self.currency = currency; self.engineVersion = engineVersion; self.maintenanceInterval = maintenanceInterval
    }
}

/// What happens to a sample whose meter is not in the metrics file (issue 9 item 8:
/// Ceilometer publishes dozens of meters nobody rates, and dead-lettering each of
/// them made the dead-letter topic outgrow the input).
public enum UnknownMeterPolicy: String, Sendable, CaseIterable {
    /// Dead-lettered as `unknown-metric`, with the record (the default).
    case deadLetter = "dead-letter"
    /// Not dead-lettered; counted in `samples_unknown_meter` and per meter in
    /// `unknown_meters{metric="…"}`.
    case count
    /// Not dead-lettered; counted in `samples_unknown_meter` only.
    case ignore
}

public enum TallyVersion {
    /// Goes into every frame: a change to rating or windowing semantics bumps it.
    public static let current = "tally/0.1.0"
}

/// Prices a closed window. The rule book in force is the pricer's business; the
/// engine records the version and hash it reports in the frame.
public protocol WindowPricer: AnyObject {
    /// `usage` gives the cumulative usage of earlier windows of the cycle (tiers).
    func price(_ input: RatingInput, metric: MetricDefinition, usage: TierUsageSource?) -> RatingResult
    /// Whether windows of `service` are priced on cumulative usage, so that a change to
    /// one window's quantity can change the price of later windows of its cycle.
    func usesCumulativeUsage(service: String) -> Bool
    var ruleBookVersion: Int64? { get }
    var ruleBookHash: String? { get }
    /// The version and hash of the book that prices a window starting at `windowStart`
    /// (what the frame records). Pricers whose book changes over time (the rule log)
    /// answer per window; the default is the fixed `ruleBookVersion`/`ruleBookHash`.
    func ruleBookIdentity(forWindowStarting windowStart: EventTime) -> (version: Int64?, hash: String?)
}

extension WindowPricer {
    public func ruleBookIdentity(forWindowStarting windowStart: EventTime) -> (version: Int64?, hash: String?) {
        (ruleBookVersion, ruleBookHash)
    }
}
