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
    ///
    /// With a `store`, start-up folds only the events after the snapshot of the fold
    /// kept in the store's `meta` table, and writes the new snapshot back.
    public static func make(config: ServiceConfig, store: StateStore? = nil, now: EventTime = WallClock.now(),
                            log: (String) -> Void = { _ in }) throws -> WindowPricer {
        let client = RuleLogClient(config: config)
        let started = WallClock.monotonicMillis()
        let snapshot = try store.flatMap { store in
            try store.read { txn in try txn.get(.meta, snapshotKey) }.map { try RuleLogState(decoding: $0) }
        }
        var (state, outcomes) = RuleLogClient.fold(try client.readEvents(after: snapshot?.lastOffset),
                                                   into: RuleLogReader(state: snapshot ?? RuleLogState()))
        if let rulesFile = config.rulesFile, state.acceptedCount == 0 {
            try client.ensureTopic()
            let rules = try RulesetFile.parse(yaml: try UserFile.text(rulesFile, what: "rules file"), file: rulesFile)
            let seeded = try client.apply(rules, at: EventTime(micros: 0), author: "tally-seed",
                                          reason: "seeded from \(rulesFile)", force: true, now: now)
            log("tally: rule log seeded from \(rulesFile): \(seeded.filter(\.isAccepted).count) of \(seeded.count) events accepted")
            (state, outcomes) = RuleLogClient.fold(try client.readEvents(after: state.lastOffset), into: RuleLogReader(state: state))
        } else if let rulesFile = config.rulesFile,
                  let notice = try RuleSeedCheck.notice(rulesFile: rulesFile, state: state, now: now) {
            log(notice)
        }
        if let store, !outcomes.isEmpty {
            let bytes = state.encode()
            try store.write { txn in try txn.put(.meta, snapshotKey, bytes, append: false) }
        }
        log("tally: rule log at version \(state.version.map(String.init) ?? "none"): \(outcomes.count) event(s) folded after "
            + (snapshot.map { "a snapshot to offset \($0.lastOffset ?? -1)" } ?? "no snapshot")
            + " in \(WallClock.monotonicMillis() - started) ms")
        return RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() })
    }

    static let snapshotKey = Array("rule_log_snapshot".utf8)
}

/// The script evaluator every command uses (so the executable need not import TallyScript).
public enum LuaScriptEvaluatorFactory {
    public static func make() -> ScriptEvaluator { LuaScriptEvaluator() }
}
