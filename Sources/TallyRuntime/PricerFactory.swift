import Foundation
import TallyCore
import TallyEngine
import TallyScript
import TallyWire

/// Builds the pricer a configuration asks for: the rules file's rule book when
/// there is one (its SHA-256 names it in frames), else flat prices per unit.
public enum PricerFactory {
    public static func make(rulesFile: String?) throws -> WindowPricer {
        guard let rulesFile else { return FlatPricer() }
        let book = try RulesetFile.load(contentsOf: rulesFile)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: rulesFile))
        let rater = Rater(book: book, scriptEvaluator: LuaScriptEvaluator())
        return RuleBookPricer(rater: rater, version: nil, hash: SHA256.hex(Array(bytes)))
    }
}

extension PricerFactory {
    /// The pricer `tally run` uses: the rule log (`kafka.rules_topic`), read whole
    /// now and followed live by `RaterService`. The log is the only source of rules:
    /// a `rules:` file in the configuration only seeds an empty log (a fresh
    /// installation), published as events the way `tally rules apply` would, in
    /// force from the epoch so that it prices whatever history is rated next.
    public static func make(config: ServiceConfig, now: EventTime = WallClock.now(),
                            log: (String) -> Void = { _ in }) throws -> WindowPricer {
        let client = RuleLogClient(config: config)
        var state = try client.readState()
        if let rulesFile = config.rulesFile, state.acceptedCount == 0 {
            try client.ensureTopic()
            let rules = try RulesetFile.parse(yaml: try String(contentsOfFile: rulesFile, encoding: .utf8), file: rulesFile)
            let outcomes = try client.apply(rules, at: EventTime(micros: 0), author: "tally-seed",
                                            reason: "seeded from \(rulesFile)", force: true, now: now)
            log("tally: rule log seeded from \(rulesFile): \(outcomes.filter(\.isAccepted).count) of \(outcomes.count) events accepted")
            state = try client.readState()
        }
        return RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() })
    }
}

/// The script evaluator every command uses (so the executable need not import TallyScript).
public enum LuaScriptEvaluatorFactory {
    public static func make() -> ScriptEvaluator { LuaScriptEvaluator() }
}
