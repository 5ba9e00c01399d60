/// The pure part of publishing rule changes: turn planned changes into chained, hashed
/// events, and check them against the current head the way every reader will, so a
/// change that would be rejected is reported instead of published.
public enum RuleLogWriter {
    /// Events for `changes`, all recorded at `now` by `author` for `reason`, chained
    /// after `head` (the state's `head`). `newID` names each event (a UUID in
    /// production); the default derives a deterministic id from the chain position.
    public static func prepare(changes: [PlannedRuleChange], author: String, reason: String, force: Bool = false,
                               now: EventTime, head: String, newID: ((Int) -> String)? = nil) -> [RuleEvent] {
        var previous = head
        var events: [RuleEvent] = []
        events.reserveCapacity(changes.count)
        for (index, planned) in changes.enumerated() {
            let id = newID?(index) ?? derivedID(head: head, author: author, now: now, index: index)
            let event = RuleEvent(id: id, author: author, reason: reason, recordedAt: now, start: planned.start,
                                  end: planned.end, force: force, change: planned.change).sealed(after: previous)
            previous = event.hash
            events.append(event)
        }
        return events
    }

    /// The changes as one event, so readers accept all of them or none (a single change
    /// stays a plain event; several become a `batch` starting at the earliest part's
    /// start). What `tally rules apply` publishes: a racing writer's batch is rejected
    /// whole as `stale-head`, never half-applied.
    public static func prepareAtomic(changes: [PlannedRuleChange], author: String, reason: String, force: Bool = false,
                                     now: EventTime, head: String, newID: ((Int) -> String)? = nil) -> [RuleEvent] {
        guard changes.count > 1, let earliest = changes.map(\.start).min() else {
            return prepare(changes: changes, author: author, reason: reason, force: force, now: now, head: head, newID: newID)
        }
        let batch = PlannedRuleChange(change: .batch(changes), start: earliest)
        return prepare(changes: [batch], author: author, reason: reason, force: force, now: now, head: head, newID: newID)
    }

    /// `prepare` for changes that all take effect at `start` (until `end`, for creates).
    public static func prepare(changes: [RuleChange], author: String, reason: String, start: EventTime,
                               end: EventTime? = nil, force: Bool = false, now: EventTime, head: String,
                               newID: ((Int) -> String)? = nil) -> [RuleEvent] {
        prepare(changes: changes.map { PlannedRuleChange(change: $0, start: start, end: end) }, author: author,
                reason: reason, force: force, now: now, head: head, newID: newID)
    }

    /// Folds `events` on a copy of `state` as if they were the next offsets. Publish
    /// only when `firstRejection` is nil; then `expectedHead` is the head readers will
    /// reach and `resultingState` the state they will hold.
    public static func check(_ events: [RuleEvent], against state: RuleLogState) -> RuleWriteCheck {
        var copy = state
        var offset = (state.lastOffset ?? -1) + 1
        var first: RuleWriteCheck.Rejected?
        for (index, event) in events.enumerated() {
            if case .rejected(let rejection) = copy.apply(event, offset: offset), first == nil {
                first = .init(index: index, event: event, rejection: rejection)
            }
            offset += 1
        }
        return RuleWriteCheck(firstRejection: first, expectedHead: copy.head, resultingState: copy)
    }

    static func derivedID(head: String, author: String, now: EventTime, index: Int) -> String {
        var sha = SHA256()
        sha.update("\(head)|\(author)|\(now.micros)|\(index)".utf8)
        let hex = Array(sha.finalize().lowercaseHex.utf8.prefix(32))
        // Shaped like a UUID so tools that expect one are happy.
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: hex[$0], as: UTF8.self) }
        return parts.joined(separator: "-")
    }
}

/// The outcome of `RuleLogWriter.check`.
public struct RuleWriteCheck: Sendable {
    public struct Rejected: Sendable, Hashable {
        /// Position in the checked batch.
        public var index: Int
        public var event: RuleEvent
        public var rejection: RuleEventRejection
    }

    public var firstRejection: Rejected?
    /// The chain head after the batch.
    public var expectedHead: String
    public var resultingState: RuleLogState

    public var wouldBeAccepted: Bool { firstRejection == nil }
}
