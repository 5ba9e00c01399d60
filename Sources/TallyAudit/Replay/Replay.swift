import Foundation
import TallyCore
import TallyEngine
import TallyRuntime
import TallyWire

/// `tally replay`: re-rates a time range from the input topics in scratch state with
/// chosen rules and compares the result with the latest emitted frames; `apply` emits
/// correction revisions for the windows whose price changed.
public struct Replay {
    public let config: ServiceConfig
    public let request: ReplayRequest
    public let diff: ReplayDiff
    /// The rules' identity that goes into the replay id (log version, or file hash).
    public let rulesIdentity: String

    /// Reads the rule log and the latest emitted revision of each frame id of the range,
    /// then streams the input topics through the engine and diffs each frame as it closes.
    /// `keepingEveryFrame`: keep every replayed frame of the range, not only those that
    /// differ (for `shadowRecords`).
    public init(config: ServiceConfig, metrics: MetricsConfig, request: ReplayRequest, keepingEveryFrame: Bool = false) throws {
        let engine = try ReplayEngine.reading(config: config, metrics: metrics, since: request.from)
        let (pricer, identity) = try ReplayRuleSource(config: config).pricer(for: request.rules)
        try self.init(config: config, request: request, emitted: EmittedFrames.summarising(config: config, request: request),
                      engine: engine, pricer: pricer, rulesIdentity: identity, keepingEveryFrame: keepingEveryFrame)
    }

    /// `emitted` gives the latest emitted revision of each frame id; it is first asked for
    /// once the input is folded (the frames topic can be read meanwhile: `EmittedFrames.summarising`).
    public init(config: ServiceConfig, request: ReplayRequest, emitted: () throws -> [String: EmittedFrameSummary], engine: ReplayEngine,
                pricer: WindowPricer, rulesIdentity: String, keepingEveryFrame: Bool = false) throws {
        self.config = config
        self.request = request
        self.rulesIdentity = rulesIdentity
        var builder: ReplayDiff.Builder?
        try engine.run(pricer: pricer, beforeClosing: {
            builder = ReplayDiff.Builder(request: request, emitted: try emitted(), currency: config.currency,
                                         keepingEveryFrame: keepingEveryFrame)
        }) { frame, _ in builder!.add(frame) }
        diff = builder!.build()
    }

    /// Every replayed frame of the range, in the diff's order, as a record for a shadow
    /// topic: keyed by scope id, the frame exactly as the replay sealed it. Needs a replay
    /// made `keepingEveryFrame`.
    public var shadowRecords: (keys: [[UInt8]], values: [[UInt8]]) {
        var keys: [[UInt8]] = [], values: [[UInt8]] = []
        for change in diff.frames {
            guard var frame = change.replayed else { continue }
            keys.append(Array(frame.scope.utf8))
            values.append(frame.seal(previousHash: frame.previousHash))  // the same bytes: sealing is deterministic
        }
        return (keys, values)
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
