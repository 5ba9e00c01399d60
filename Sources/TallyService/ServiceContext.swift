import Hummingbird
import TallyCore
import TallyIndex
import TallyKafka
import TallyRuntime

/// What every route group of the service shares: the configuration it was started with,
/// the metrics it rates, the frame index with the thread that follows the frames topic, and
/// the rule log with the thread that follows it (`rules`: every rule read takes its snapshot,
/// every rule write goes through it). Route groups add their own state (the token store) as
/// they need it; this type stays the one thing `TallyServer` hands to each of them.
public final class ServiceContext: Sendable {
    public let config: ServiceConfig
    public let configPath: String
    public let metrics: MetricsConfig
    /// nil only in unit tests of routes that do not read frames.
    public let index: FrameIndex?
    public let follower: FrameIndexFollower?
    /// Signs the rule events the API writes (nil: unsigned, in unit tests).
    let ruleSigner: RuleEventSigner?
    /// The thread folding the rule log (nil only in unit tests: then `rules` has one that was
    /// never started, and rule routes answer 503).
    public let ruleFollower: RuleLogFollower?
    let rules: RuleLogView

    public init(config: ServiceConfig, configPath: String, metrics: MetricsConfig,
                index: FrameIndex? = nil, follower: FrameIndexFollower? = nil, ruleSigner: RuleEventSigner? = nil,
                ruleFollower: RuleLogFollower? = nil) {
        self.config = config
        self.configPath = configPath
        self.metrics = metrics
        self.index = index
        self.follower = follower
        self.ruleSigner = ruleSigner
        self.ruleFollower = ruleFollower
        let kafka = Self.kafkaConfig(config)
        rules = RuleLogView(client: RuleLogClient(config: config),
                            follower: ruleFollower ?? RuleLogFollower(topic: config.rulesTopic, kafka: kafka),
                            kafka: kafka, signer: ruleSigner)
    }

    /// The client properties of the configuration's broker, for the service's own clients.
    public static func kafkaConfig(_ config: ServiceConfig) -> KafkaConfig {
        var kafka = KafkaConfig(bootstrapServers: config.bootstrapServers)
        for (key, value) in config.kafkaProperties { kafka[key] = value }
        return kafka
    }

    /// The frame index, or 503 when this service runs without one.
    func requireIndex() throws -> FrameIndex {
        guard let index else { throw HTTPError(.serviceUnavailable, message: "The frame index is not available.") }
        return index
    }
}
