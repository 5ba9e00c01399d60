import ArgumentParser
import TallyCore
import TallyRuntime
import TallyWire

/// `tally rules`: the rule log on `tally.rules` (docs/RULE-LOG.md).
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Read, change and verify the rule log (docs/RULE-LOG.md).",
        subcommands: [RulesLogCommand.self, RulesShowCommand.self, RulesApplyCommand.self, RulesEndCommand.self, RulesImportCommand.self,
                      RulesVerifyCommand.self])
}

/// The option every `tally rules` subcommand takes.
struct RulesConfigOption: ParsableArguments {
    @Option(name: .long, help: "The service configuration file: kafka.bootstrap and kafka.rules_topic (default tally.rules).")
    var config: String

    func client() throws -> RuleLogClient {
        do { return RuleLogClient(config: try ServiceConfig.load(path: config)) } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Who and why, required for every change.
struct RulesAuthorship: ParsableArguments {
    @Option(name: .long, help: "Who makes the change (recorded in every event).") var author: String
    @Option(name: .long, help: "Why (recorded in every event).") var reason: String

    func validate() throws {
        guard !author.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--author must not be empty") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must not be empty") }
    }
}

enum RulesCLI {
    /// An ISO 8601 instant from an option, or now.
    static func time(_ text: String?, option: String) throws -> EventTime {
        guard let text else { return WallClock.now() }
        do { return try TimestampParser.parse(text) } catch {
            throw ValidationError("\(option) '\(text)' is not an ISO 8601 time (e.g. 2026-07-01T00:00:00Z): \(error)")
        }
    }

    /// When a change takes effect and when it is recorded. Without `--at` both are the
    /// same instant, "now": the everyday change "from now on" is neither in the past
    /// (no `--force`) nor an end in the past. With `--at`, it is recorded now.
    static func effective(_ at: String?, option: String = "--at") throws -> (time: EventTime, recordedAt: EventTime) {
        let now = WallClock.now()
        guard let at else { return (now, now) }
        return (try time(at, option: option), now)
    }

    /// Prepares, publishes and reports; exits non-zero unless every event was accepted.
    static func publish(_ changes: [PlannedRuleChange], authorship: RulesAuthorship, force: Bool,
                        client: RuleLogClient, state: RuleLogState, recordedAt: EventTime? = nil) throws {
        let publication: RuleLogPublication
        do {
            publication = try RuleLogPublication(changes: changes, author: authorship.author, reason: authorship.reason,
                                                 force: force, now: recordedAt ?? WallClock.now(), state: state)
        } catch {
            print("tally rules: nothing published; readers would reject \(error)")
            throw ExitCode(1)
        }
        let outcomes = try client.publish(publication)
        var allAccepted = true
        for (event, outcome) in zip(publication.events, outcomes) {
            for part in event.parts {
                print("\(PlannedRuleChange(change: part.change, start: part.start, end: part.end)): \(outcome)")
            }
            allAccepted = allAccepted && outcome.isAccepted
        }
        if outcomes.contains(where: { if case .retry = $0 { return true } else { return false } }) {
            // The change was refused whole (one event): nothing of it is in force.
            print("tally rules: another writer published first; nothing of this change took effect; "
                  + "run the command again to apply on top of its changes")
            throw ExitCode(75)  // EX_TEMPFAIL: try again
        }
        guard allAccepted else { throw ExitCode(1) }
        print("tally rules: \(changes.count) change(s) accepted in \(outcomes.count) event(s)")
    }
}
