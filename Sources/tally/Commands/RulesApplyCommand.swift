import ArgumentParser
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
    @Option(name: .long, help: "When the changes take effect (ISO 8601; default now).") var at: String?
    @Flag(name: .long, help: "Print the events that would be published; publish nothing.") var dryRun = false
    @Flag(name: .long, help: "Agree to changes that start before now (ends can never be set in the past).") var force = false

    func run() throws {
        let time = try RulesCLI.time(at, option: "--at")
        let target: RuleSet
        do { target = try RulesetFile.parse(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file) } catch {
            throw ValidationError("\(error)")
        }
        let client = try options.client()
        let state = try client.readState()
        // Rules in the file that have ended by --at are history (a past price that was
        // changed): the log cannot change them, and the current rules no longer list them.
        let changes = RuleLogDiff.changes(from: state.currentRules(at: time), to: target.removingRulesEnded(by: time), at: time)
        guard !changes.isEmpty else {
            print("tally rules: the rules already match \(file); nothing to publish")
            return
        }
        if dryRun {
            let events = RuleLogWriter.prepare(changes: changes, author: authorship.author, reason: authorship.reason,
                                               force: force, now: WallClock.now(), head: state.head)
            for (change, event) in zip(changes, events) {
                print("\(change)")
                print("  \(String(decoding: RuleEventCodec.encode(event), as: UTF8.self))")
            }
            let check = RuleLogWriter.check(events, against: state)
            if let rejected = check.firstRejection {
                print("tally rules: dry run: change \(rejected.index + 1) would be rejected: \(rejected.rejection)")
                throw ExitCode(1)
            }
            print("tally rules: dry run: \(events.count) event(s) would be accepted; nothing published")
            return
        }
        try RulesCLI.publish(changes, authorship: authorship, force: force, client: client, state: state)
    }
}
