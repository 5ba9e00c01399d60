import ArgumentParser
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

/// `tally rules apply FILE`: make the rule book match a ruleset file from a time on.
struct RulesApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Publish the changes that turn the current rules into the file's (a price change ends the old rule and creates the new one at --at).")

    @OptionGroup var options: RulesConfigOption
    @Argument(help: "The ruleset file (docs/RATING.md); rules may carry their own start and end.") var file: String
    @OptionGroup var authorship: RulesAuthorship
    @Option(name: .long, help: "When the changes take effect (ISO 8601). Default: now, the instant the change is recorded, so \"from now on\" needs no --force.") var at: String?
    @Flag(name: .long, help: "Print the events that would be published; publish nothing.") var dryRun = false
    @Flag(name: .long, help: "Agree to changes that start before now (ends can never be set in the past).") var force = false
    @Flag(name: .long, help: "Accept services and fields no metric of the configuration has (rules staged on purpose).")
    var allowUnknown = false
    @Option(name: .long, help: "With --dry-run: also replay windows starting from this time (ISO 8601) with the changed rules and show the price impact per scope.")
    var impactFrom: String?
    @Option(name: .long, help: "End of the --impact-from period (default now).") var impactTo: String?

    func run() throws {
        let (time, recordedAt) = try RulesCLI.effective(at)
        let target = try readTarget()
        let client = try options.client()
        let state = try client.readState()
        for note in RuleLogDiff.keptEnds(from: state.currentRules(at: time), to: target.removingRulesEnded(by: time)) {
            print("note: \(note)")
        }
        // Rules in the file that have ended by --at are history (a past price that was
        // changed): the log cannot change them, and the current rules no longer list them.
        let changes = RuleLogDiff.changes(from: state.currentRules(at: time), to: target.removingRulesEnded(by: time), at: time)
        guard !changes.isEmpty else {
            print("tally rules: the rules already match \(file); nothing to publish")
            return
        }
        if dryRun {
            let events = RuleLogWriter.prepareAtomic(changes: changes, author: authorship.author,
                                                     reason: authorship.reason, force: force, now: recordedAt,
                                                     head: state.head)
            for change in changes { print("\(change)") }
            for event in events { print("  \(String(decoding: RuleEventCodec.encode(event), as: UTF8.self))") }
            let check = RuleLogWriter.check(events, against: state)
            if let rejected = check.firstRejection {
                print("tally rules: dry run: would be rejected: \(rejected.rejection)")
                throw ExitCode(1)
            }
            print("tally rules: dry run: \(events.count) event(s) would be accepted; nothing published")
            if let impactFrom {
                let request = ReplayRequest(from: try RulesCLI.time(impactFrom, option: "--impact-from"),
                                            to: try RulesCLI.time(impactTo, option: "--impact-to"))
                let config = try ServiceConfig.load(path: options.config)
                let impact = try RuleChangeImpact.compute(config: config, afterChanges: check.resultingState, request: request)
                print("price impact on windows from \(Timestamps.iso8601(request.from)) to \(Timestamps.iso8601(request.to)):")
                print(ReplayReport.render(impact.diff, format: .table, detail: false))
            }
            return
        }
        try RulesCLI.publish(changes, authorship: authorship, force: force, client: client, state: state,
                             recordedAt: recordedAt)
    }

    /// The file's rules, with every service and field checked against the metrics of the
    /// service configuration unless `--allow-unknown`.
    func readTarget() throws -> RuleSet {
        let yaml = try UserFile.text(file, what: "rules file")
        do {
            if allowUnknown { return try RulesetFile.parse(yaml: yaml, file: file) }
            let config = try ServiceConfig.load(path: options.config)
            let metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile)
            return try RulesetFile.parse(yaml: yaml, file: file, checkedAgainst: metrics)
        } catch let error as RulesetFileError {
            throw ValidationError("\(error)" + (error.problems.contains { $0.message.hasPrefix("unknown ") }
                ? "\n(use --allow-unknown to stage rules for services or fields not configured yet)" : ""))
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
