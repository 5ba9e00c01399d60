import TallyCore
import TallyWire

extension RuleSet {
    /// The same rules without those whose validity ends at or before `time`: history
    /// a file may still list, which `apply` must not try to create again.
    public func removingRulesEnded(by time: EventTime) -> RuleSet {
        func live(_ validity: RuleValidity) -> Bool { validity.end.map { $0 > time } ?? true }
        var copy = self
        copy.mappings.removeAll { !live($0.validity) }
        copy.thresholds.removeAll { !live($0.validity) }
        copy.tiers.removeAll { !live($0.validity) }
        copy.scripts.removeAll { !live($0.validity) }
        return copy
    }
}

extension RuleLogClient {
    /// Publishes the events that turn the log's rules in effect at `time` into
    /// `target` (what `tally rules apply` does), and reports each event's outcome.
    /// Throws, publishing nothing, when readers would reject the events.
    public func apply(_ target: RuleSet, at time: EventTime, author: String, reason: String, force: Bool,
                      now: EventTime) throws -> [Outcome] {
        let state = try readState()
        let changes = RuleLogDiff.changes(from: state.currentRules(at: time), to: target.removingRulesEnded(by: time), at: time)
        guard !changes.isEmpty else { return [] }
        let publication = try RuleLogPublication(changes: changes, author: author, reason: reason, force: force,
                                                 now: now, state: state)
        return try publish(publication)
    }
}
