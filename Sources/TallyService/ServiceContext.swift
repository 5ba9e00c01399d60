import Hummingbird
import TallyCore
import TallyIndex
import TallyRuntime

/// What every route group of the service shares: the configuration it was started with,
/// the metrics it rates, and the frame index with the thread that follows the frames topic.
/// Route groups add their own state (the rule-log client, token store) as they need it; this
/// type stays the one thing `TallyServer` hands to each of them.
public final class ServiceContext: Sendable {
    public let config: ServiceConfig
    public let configPath: String
    public let metrics: MetricsConfig
    /// nil only in unit tests of routes that do not read frames.
    public let index: FrameIndex?
    public let follower: FrameIndexFollower?
    /// Signs the rule events the API writes (nil: unsigned, in unit tests).
    let ruleSigner: RuleEventSigner?

    public init(config: ServiceConfig, configPath: String, metrics: MetricsConfig,
                index: FrameIndex? = nil, follower: FrameIndexFollower? = nil, ruleSigner: RuleEventSigner? = nil) {
        self.config = config
        self.configPath = configPath
        self.metrics = metrics
        self.index = index
        self.follower = follower
        self.ruleSigner = ruleSigner
    }

    /// The frame index, or 503 when this service runs without one.
    func requireIndex() throws -> FrameIndex {
        guard let index else { throw HTTPError(.serviceUnavailable, message: "The frame index is not available.") }
        return index
    }
}
