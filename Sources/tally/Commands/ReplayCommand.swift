import ArgumentParser
import Foundation
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

/// The range and filters `tally replay` and `tally verify` share.
struct ReplayRangeOptions: ParsableArguments {
    @Option(name: .long, help: "The service configuration (docs/CONFIG.md).") var config: String
    @Option(name: .long, help: "First window start of the range (ISO 8601, e.g. 2026-11-01T00:00:00Z).") var from: String
    @Option(name: .long, help: "End of the range, exclusive: windows starting before it.") var to: String
    @Option(name: .long, help: "Only this scope id (project or user).") var scope: String?
    @Option(name: .long, help: "Only this metric.") var metric: String?

    func load(rules: ReplayRules) throws -> (ServiceConfig, MetricsConfig, ReplayRequest) {
        func time(_ text: String, _ option: String) throws -> EventTime {
            do { return try TimestampParser.parse(text) } catch {
                throw ValidationError("\(option) \(text): not an ISO 8601 timestamp (\(error))")
            }
        }
        let start = try time(from, "--from"), end = try time(to, "--to")
        guard start < end else { throw ValidationError("--from \(from) must be before --to \(to)") }
        do {
            let settings = try ServiceConfig.load(path: config)
            let metrics = try MetricsConfigLoader.load(contentsOf: settings.metricsFile)
            return (settings, metrics, ReplayRequest(from: start, to: end, scope: scope, metric: metric, rules: rules))
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

extension ReplayReport.Format: ExpressibleByArgument {}

/// `tally replay`: re-rate a range from the input topics in scratch state and diff it
/// against the emitted frames; `--apply` emits correction revisions.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-rate a time range from the input topics with chosen rules and compare with the emitted frames.",
        discussion: "A dry run by default: prints old total, new total and difference per scope. With --apply, publishes a correction command on the corrections topic; the rater (the only writer of the frames topic) emits a correction revision for every emitted window whose price changed, naming the replay, and apply waits for it (--wait) or says the command is queued (docs/REPLAY.md). Never touches the live state or offsets.")

    @OptionGroup var range: ReplayRangeOptions
    @Option(name: .long, help: "current (the rule log now), version:V (the log as of offset V) or a candidate ruleset FILE.")
    var rules: String = "current"
    @Option(name: .long, help: "table, json or csv.") var format: ReplayReport.Format = .table
    @Flag(name: .long, help: "List the frame-level differences.") var detail = false
    @Flag(name: .long, help: "Emit correction revisions to the frames topic (needs --author and --reason).") var apply = false
    @Option(name: .long, help: "Who applies the replay (recorded in each correction).") var author: String?
    @Option(name: .long, help: "Why (recorded in each correction).") var reason: String?
    @Option(name: .long, help: "With --apply: seconds to wait for the rater to execute the corrections (0: only queue them).")
    var wait: Int = 60
    @Option(name: .long, help: "Also write every replayed frame of the range to this topic (a shadow of the frames topic, for a billing system to compare); never the frames topic itself.")
    var shadowTopic: String?

    func validate() throws {
        if apply && (author?.isEmpty ?? true || reason?.isEmpty ?? true) {
            throw ValidationError("--apply needs --author and --reason")
        }
    }

    func run() throws {
        let choice: ReplayRules
        do { choice = try ReplayRules(parsing: rules) } catch { throw ValidationError("\(error)") }
        let (config, metrics, request) = try range.load(rules: choice)
        do {
            let replay = try Replay(config: config, metrics: metrics, request: request, keepingEveryFrame: shadowTopic != nil)
            var outcome: ReplayCorrections.Outcome?
            var replayId: String?
            if apply, let author, let reason {
                if case .file = choice {
                    FileHandle.standardError.write(Data(("tally replay: warning: these rules are not on the rule log; the rater "
                        + "prices any later revision of a corrected window (a late sample) with the rule log again. Publish the "
                        + "change with `tally rules apply` and replay with --rules current to keep it (docs/REPLAY.md)\n").utf8))
                }
                replayId = replay.replayId(author: author, reason: reason)
                outcome = try replay.apply(author: author, reason: reason, waitSeconds: max(0, wait))
            }
            print(ReplayReport.render(replay.diff, format: format, detail: detail, replayId: replayId, corrections: outcome))
            if let replayId, format == .table { print("replay \(replayId)") }
            if let outcome, outcome.receipts == nil, wait > 0 {
                FileHandle.standardError.write(Data(("tally replay: the rater did not execute replay \(outcome.replayId) within \(wait) s; "
                    + "it stays queued on \(config.correctionsTopic) and runs when a rater reads it\n").utf8))
            }
            if let shadowTopic {
                guard shadowTopic != config.framesTopic else { throw CommandFailure("--shadow-topic must not be the frames topic") }
                let frames = replay.shadowRecords
                try TopicIO.produce(frames.values, keys: frames.keys, topic: shadowTopic, bootstrapServers: config.bootstrapServers)
                FileHandle.standardError.write(Data("tally replay: \(frames.values.count) replayed frame(s) written to \(shadowTopic)\n".utf8))
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("tally replay: \(error)")
        }
    }
}
