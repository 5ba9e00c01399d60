/// Why the fold refused an event. `code` is stable and machine-readable; `message` is
/// for people. Codes and their rules: docs/RULE-LOG.md, "Validation".
public struct RuleEventRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The stored `hash` is not the hash of the event's content (altered or corrupt).
        case badHash = "bad-hash"
        /// `previous_hash` is not the chain head: another writer published first.
        case staleHead = "stale-head"
        /// Another accepted event already has this id.
        case duplicateEvent = "duplicate-event"
        /// The event itself is malformed (empty id, `end` where none is allowed, …).
        case invalidEvent = "invalid-event"
        case pastStartWithoutForce = "past-start-without-force"
        /// Only an end may still be set on a rule that has started.
        case alreadyStarted = "already-started"
        case endAlreadySet = "end-already-set"
        case endInPast = "end-in-past"
        /// The end would not be after the item's start.
        case endBeforeStart = "end-before-start"
        case alreadyDeleted = "already-deleted"
        /// The id or name exists (ids are never reused), or a rule with the same key
        /// would be in force at the same time (CloudKitty's 409).
        case duplicate = "duplicate"
        case unknownRule = "unknown-rule"
        case unknownGroup = "unknown-group"
        case unknownService = "unknown-service"
        case unknownField = "unknown-field"
        /// A declaration cannot end while rules in force after that use it.
        case inUse = "in-use"
        /// The rule is not well formed (`RuleBook(validating:)`'s problems).
        case invalidRule = "invalid-rule"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }

    /// `code: message`, e.g. `invalid-rule: tier 2 bound 5 is not above the previous bound`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// What folding one event did.
public enum RuleEventOutcome: Sendable, Hashable {
    case accepted
    /// Recorded with its reason; the rule book is unchanged.
    case rejected(RuleEventRejection)
    /// The offset was at or before the last folded one (a redelivery): ignored.
    case alreadyFolded

    public var isAccepted: Bool { self == .accepted }

    public var rejection: RuleEventRejection? {
        if case .rejected(let r) = self { return r }
        return nil
    }
}

/// A rejected event as the state remembers it (for `tally rules log` and audits).
public struct RejectedRuleEvent: Sendable, Hashable {
    public var offset: Int64
    public var eventID: String
    public var rejection: RuleEventRejection
    public init(offset: Int64, eventID: String, rejection: RuleEventRejection) {
        self.offset = offset; self.eventID = eventID; self.rejection = rejection
    }
}

/// An accepted event that touched an item, for audit trails and traces.
public struct RuleAuditEntry: Sendable, Hashable {
    public var offset: Int64
    public var eventID: String
    public var author: String
    public var reason: String
    public var recordedAt: EventTime
    public var start: EventTime
    public var end: EventTime?
    public var force: Bool
    /// `create`, `update`, `end` or `delete`.
    public var operation: String
    public var hash: String
}

extension RuleAuditEntry {
    /// Through the synthesized memberwise init (internal: only the fold and snapshots build
    /// entries): a hand-written init assigning the members one by one built the entry in a
    /// temporary and copied it, a retain and a release per string, once per revision folded
    /// (as `RuleEvent`'s did, docs/ARCHITECTURE.md, rulelog-dec2).
    init(_ event: RuleEvent, offset: Int64) {
        self.init(offset: offset, eventID: event.id, author: event.author, reason: event.reason,
                  recordedAt: event.recordedAt, start: event.start, end: event.end, force: event.force,
                  operation: event.change.operation, hash: event.hash)
    }
}
