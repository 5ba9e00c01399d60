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
    /// The pricer `tally run` uses: the rules file's fixed book when the configuration
    /// names one, else the rule log (`kafka.rules_topic`) read whole now; `RaterService`
    /// keeps following it.
    public static func make(config: ServiceConfig) throws -> WindowPricer {
        if let rulesFile = config.rulesFile { return try make(rulesFile: rulesFile) }
        let state = try RuleLogClient(config: config).readState()
        return RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() })
    }
}

/// The script evaluator every command uses (so the executable need not import TallyScript).
public enum LuaScriptEvaluatorFactory {
    public static func make() -> ScriptEvaluator { LuaScriptEvaluator() }
}
