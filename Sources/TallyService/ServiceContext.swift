import TallyRuntime

/// What every route group of the service shares: the configuration it was started with.
/// Route groups add their own state (the frame index, the rule-log client, token store)
/// as they need it; this type stays the one thing `TallyServer` hands to each of them.
public final class ServiceContext: Sendable {
    public let config: ServiceConfig
    public let configPath: String
    /// Signs the rule events the API writes (nil: unsigned).
    let ruleSigner: RuleEventSigner?

    /// A context whose rule writes are unsigned (unit tests of routes).
    public convenience init(config: ServiceConfig, configPath: String) {
        self.init(config: config, configPath: configPath, ruleSigner: nil)
    }

    init(config: ServiceConfig, configPath: String, ruleSigner: RuleEventSigner?) {
        self.config = config
        self.configPath = configPath
        self.ruleSigner = ruleSigner
    }
}
