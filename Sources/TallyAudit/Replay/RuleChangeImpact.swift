import TallyCore
import TallyEngine
import TallyRuntime
import TallyScript
import TallyWire

/// What a rule change not yet published would have cost: a replay of a period
/// priced with the rule log as it would be after the change, diffed against the
/// frames emitted (`tally rules apply FILE --dry-run --impact-from T`).
public enum RuleChangeImpact {
    public static func compute(config: ServiceConfig, afterChanges state: RuleLogState,
                               request: ReplayRequest) throws -> Replay {
        let metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile)
        let engine = try ReplayEngine.reading(config: config, metrics: metrics, since: request.from)
        let pricer = RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() })
        return try Replay(config: config, request: request, emitted: EmittedFrames.summarising(config: config, request: request),
                          engine: engine, pricer: pricer, rulesIdentity: "candidate@\(state.head)")
    }
}
