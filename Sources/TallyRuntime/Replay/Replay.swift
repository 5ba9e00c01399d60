import Foundation
import TallyCore
import TallyEngine
import TallyWire

/// `tally replay`: re-rates a time range from the input topics in scratch state with
/// chosen rules and compares the result with the latest emitted frames; `apply` emits
/// correction revisions for the windows whose price changed.
public struct Replay {
    public let config: ServiceConfig
    public let request: ReplayRequest
    public let emitted: EmittedFrames
    public let diff: ReplayDiff
    /// The rules' identity that goes into the replay id (log version, or file hash).
    public let rulesIdentity: String

    /// Reads the input topics, the rule log and the frames topic, replays and diffs.
    public init(config: ServiceConfig, metrics: MetricsConfig, request: ReplayRequest) throws {
        let engine = try ReplayEngine.reading(config: config, metrics: metrics, since: request.from)
        let (pricer, identity) = try ReplayRuleSource(config: config).pricer(for: request.rules)
        try self.init(config: config, request: request, emitted: try EmittedFrames.read(config: config),
                      replayed: try engine.run(pricer: pricer), rulesIdentity: identity)
    }

    public init(config: ServiceConfig, request: ReplayRequest, emitted: EmittedFrames, replayed: [String: FrameRecord],
                rulesIdentity: String) throws {
        self.config = config
        self.request = request
        self.emitted = emitted
        self.rulesIdentity = rulesIdentity
        diff = ReplayDiff(request: request, emitted: emitted.latest, replayed: replayed, currency: config.currency)
    }

    public func replayId(author: String, reason: String) -> String {
        request.replayId(rulesIdentity: rulesIdentity, author: author, reason: reason)
    }

    /// Publishes the corrections as a command for the rater (the only writer of the
    /// frames topic) and waits up to `waitSeconds` for it to execute them. Applying the
    /// same replay again finds the latest revisions equal to the replay: nothing to do.
    public func apply(author: String, reason: String, waitSeconds: Int = 60) throws -> ReplayCorrections.Outcome {
        var ruleset: String?
        if case .file(let path) = request.rules {
            // Named in the command, so that verify can rebuild the book the corrections were priced with.
            do { ruleset = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ReplayError("cannot read the ruleset file \(path): \(error.localizedDescription)")
            }
        }
        let id = replayId(author: author, reason: reason)
        let commands = ReplayCorrections.commands(diff: diff, request: request, replayId: id, author: author, reason: reason,
                                                  rulesIdentity: rulesIdentity, ruleset: ruleset)
        return try ReplayCorrections.apply(commands, replayId: id, config: config, waitSeconds: waitSeconds)
    }
}
