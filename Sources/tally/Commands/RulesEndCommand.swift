import ArgumentParser
import TallyCore

/// `tally rules end RULE --at TIME`: a rule stops applying at a future time.
struct RulesEndCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end", abstract: "End a rule now, or at a time in the future.")

    @OptionGroup var options: RulesConfigOption
    @Argument(help: "The rule's id (mapping, threshold, tier or script).") var rule: String
    @Option(name: .long, help: "When the rule stops applying (ISO 8601; default now, the instant the change is recorded).") var at: String?
    @OptionGroup var authorship: RulesAuthorship

    func run() throws {
        let (time, recordedAt) = try RulesCLI.effective(at)
        let client = try options.client()
        let state = try client.readState()
        guard let kind = state.ruleKind(id: rule) else { throw ValidationError("no rule with id '\(rule)' in the rule log") }
        let change = PlannedRuleChange(change: .end(.rule(kind, rule)), start: time)
        try RulesCLI.publish([change], authorship: authorship, force: false, client: client, state: state,
                             recordedAt: recordedAt)
    }
}
