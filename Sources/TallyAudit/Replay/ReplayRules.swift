import Foundation
import TallyCore
import TallyEngine
import TallyRuntime
import TallyScript
import TallyWire

/// Which rules a replay prices with (`--rules current|version:V|FILE`).
public enum ReplayRules: Sendable, Equatable, CustomStringConvertible {
    /// The whole rule log as it is now.
    case current
    /// The rule log folded up to and including offset `V` (the `rule_book.version` frames name).
    case version(Int64)
    /// A candidate ruleset file, priced as a fixed book (frames name its hash, no version).
    case file(String)

    /// Parses the option's text; anything but `current` and `version:V` is a file path.
    public init(parsing text: String) throws {
        if text == "current" { self = .current; return }
        if text.hasPrefix("version:") {
            guard let v = Int64(text.dropFirst("version:".count)), v >= 0 else {
                throw ReplayError("--rules \(text): the version must be a rule-log offset (a non-negative integer)")
            }
            self = .version(v); return
        }
        guard FileManager.default.fileExists(atPath: text) else {
            throw ReplayError("--rules \(text): not 'current', 'version:V' or an existing ruleset file")
        }
        self = .file(text)
    }

    public var description: String {
        switch self {
        case .current: return "current"
        case .version(let v): return "version:\(v)"
        case .file(let path): return path
        }
    }
}

/// The rule log, read once, from which pricers for any version are built.
public struct ReplayRuleSource {
    public let events: [RuleLogClient.StoredEvent]

    public init(config: ServiceConfig) throws { events = try RuleLogClient(config: config).readEvents() }
    public init(events: [RuleLogClient.StoredEvent]) { self.events = events }

    /// The log folded through `offset` (all of it for nil).
    public func state(through offset: Int64?) -> RuleLogState {
        RuleLogClient.fold(events.filter { offset == nil || $0.offset <= offset! }).state
    }

    /// A fresh pricer for `rules` and the identity a replay id names it by: the log's
    /// version for the log, the file's SHA-256 for a file (so a changed file is a new replay).
    public func pricer(for rules: ReplayRules) throws -> (pricer: WindowPricer, identity: String) {
        switch rules {
        case .current:
            let state = state(through: nil)
            return (RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() }),
                    "log@\(state.version.map(String.init) ?? "none")")
        case .version(let v):
            let state = state(through: v)
            guard state.version == v else {
                throw ReplayError("rule-log version \(v) is not an accepted event (the log folded through it is at version \(state.version.map(String.init) ?? "none"))")
            }
            return (RuleLogPricer(state: state, scriptEvaluator: { LuaScriptEvaluator() }), "log@\(v)")
        case .file(let path):
            let bytes: Data
            do {
                _ = try UserFile.text(path, what: "ruleset file")  // a plain reason when it is missing or unreadable
                bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch let error as UserFileError {
                throw ReplayError("\(error)")
            }
            return (try PricerFactory.make(rulesFile: path), "file@" + SHA256.hex(Array(bytes)))
        }
    }
}

/// A replay or verification that cannot go on, with the reason.
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
