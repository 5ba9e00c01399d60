import TallyCore
import TallyWire

/// The `rules:` file of the service configuration seeds only an empty rule log. Once
/// the log has rules, an edited file changes nothing: say so at start-up, with what
/// `tally rules apply` would publish, so an operator never believes a price is in force
/// that is not.
enum RuleSeedCheck {
    /// A notice when `rulesFile` differs from the rules the log has in force at `now`
    /// (compared the way `tally rules apply FILE --at now` would), nil when they agree.
    static func notice(rulesFile: String, state: RuleLogState, now: EventTime) throws -> String? {
        let rules = try RulesetFile.parse(yaml: try UserFile.text(rulesFile, what: "rules file"), file: rulesFile)
        let changes = RuleLogDiff.changes(from: state.currentRules(at: now), to: rules.removingRulesEnded(by: now), at: now)
        guard !changes.isEmpty else { return nil }
        let shown = changes.prefix(5).map { "  \($0)" }.joined(separator: "\n")
        return "tally: warning: the rules file \(rulesFile) (`rules:` in the configuration) differs from the rule log "
            + "(version \(state.version.map(String.init) ?? "none")) and is NOT used: it only seeds an empty log, and the "
            + "rater prices with the log. `tally rules apply \(rulesFile) --config …` would publish \(changes.count) "
            + "change(s):\n" + shown + (changes.count > 5 ? "\n  …" : "")
    }
}
