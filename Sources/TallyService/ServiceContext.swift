import TallyRuntime

/// What every route group of the service shares: the configuration it was started with.
/// Route groups add their own state (the frame index, the rule-log client, token store)
/// as they need it; this type stays the one thing `TallyServer` hands to each of them.
public final class ServiceContext: Sendable {
    public let config: ServiceConfig
    public let configPath: String

    public init(config: ServiceConfig, configPath: String) {
        self.config = config
        self.configPath = configPath
    }
}
