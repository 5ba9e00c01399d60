/// The fold of the rule log: feed events in offset order with `apply`, then ask for the
/// rule book in effect at a time, as known after a version. Pure and deterministic:
/// "now" is each event's `recordedAt`, never the wall clock, so every reader that folds
/// the same log reaches the same state. Rules: docs/RULE-LOG.md.
///
/// Chain head: the hash of the last *chained* event. An event is chained when its own
/// hash is valid and its `previousHash` is the head; it is then accepted, or rejected by
/// validation, and either way becomes the new head (it is stored, so the chain must go
/// through it). Events with a bad hash or a stale `previousHash` are rejected and are
/// not part of the chain: the head stays where it was.
///
/// Version: the offset of the last accepted event (nil before any). Rejected events
/// change nothing in the rule book, so they do not change its version.
public struct RuleLogState: Sendable, Hashable {
    /// Hash of the last chained event; "" before any.
    public internal(set) var head: String = ""
    /// Offset of the last accepted event.
    public internal(set) var version: Int64?
    /// Offset of the last event folded, whatever its outcome.
    public internal(set) var lastOffset: Int64?
    /// Number of accepted events.
    public internal(set) var acceptedCount = 0
    /// Every rejected event, in offset order.
    public internal(set) var rejected: [RejectedRuleEvent] = []

    /// Every incarnation of every item, in creation order (the order of the books built
    /// from the state); an incarnation's index here is its `position`. An id or name can be
    /// created again once its previous incarnation has ended (a price change: end, then
    /// create with the same id). Arrays indexed by position and by interned target number,
    /// not dictionaries keyed by strings: the fold looks each named target up once.
    var histories: [RuleItemHistory] = []
    /// The key of each incarnation, by position.
    var order: [ItemKey] = []
    /// Each target ever created → its number in `targets` (hashed by its bytes, not SipHash).
    var targetNumbers = ByteHashTable<RuleTarget, Int32>()
    /// By target number: the target's incarnations and the rules that refer to it.
    var targets: [TargetEntry] = []
    /// Rule id → its kind (ids are unique across mappings, thresholds, tiers, scripts).
    var ruleKinds = ByteHashTable<String, RuleItemKind>()
    /// CloudKitty's uniqueness key (`RuleClashKey`) → the positions of the rules with it.
    var clashIndex = ByteHashTable<RuleClashKey, PositionList>()
    /// Service → its fields' names, in first-creation order.
    var fieldsByService: [String: [String]] = [:]
    var moduleChanges: [ModuleChangeRecord] = []
    /// Every accepted event's id (the value is always true: a set).
    var eventIDs = ByteHashTable<String, Bool>()

    public init() {}

    /// Folds the event stored at `offset`. Offsets must increase; an offset at or
    /// before `lastOffset` is a redelivery and returns `.alreadyFolded`.
    @discardableResult
    public mutating func apply(_ event: RuleEvent, offset: Int64) -> RuleEventOutcome {
        apply(event, offset: offset, contentHash: nil)
    }

    /// `apply`, with the hash the event's content calls for already known: the reader
    /// computed it from stored bytes it proved canonical (`RuleEventDirectDecoder`), so
    /// the chain check need not encode the event again. nil: computed here.
    @discardableResult
    package mutating func apply(_ event: RuleEvent, offset: Int64, contentHash: String?) -> RuleEventOutcome {
        if let last = lastOffset, offset <= last { return .alreadyFolded }
        lastOffset = offset
        let effect: FoldEffect
        do throws(RuleEventRejection) {
            try checkChain(event, contentHash: contentHash)
        } catch {
            return record(error, event: event, offset: offset)
        }
        head = event.hash
        // One search of the event ids serves the duplicate check and the insert; the
        // check and the commit leave `eventIDs` alone, so the probe stays valid.
        let idProbe = eventIDs.probe(event.id)
        do throws(RuleEventRejection) {
            effect = try check(event, idAccepted: idProbe.entry != nil)
        } catch {
            return record(error, event: event, offset: offset)
        }
        commit(consume effect, event: event, offset: offset)
        eventIDs.set(true, for: event.id, at: idProbe)
        version = offset
        acceptedCount += 1
        return .accepted
    }

    /// Room for `count` more events without growing: each has an id and names at most one
    /// new incarnation, target, rule id and clash key (a service's fields and batches may
    /// need more, which then grow as before). A fold of a whole log (`RuleLogReader.apply(records:)`)
    /// otherwise rehashed its tables and copied its arrays each time they doubled. Changes
    /// no content, only capacity.
    package mutating func reserve(events count: Int) {
        histories.reserveCapacity(histories.count + count)
        order.reserveCapacity(order.count + count)
        targets.reserveCapacity(targets.count + count)
        targetNumbers.reserve(targetNumbers.count + count)
        ruleKinds.reserve(ruleKinds.count + count)
        clashIndex.reserve(clashIndex.count + count)
        eventIDs.reserve(eventIDs.count + count)
    }

    /// The rejection a reader would record for `event` if it came next, or nil when it
    /// would be accepted. Changes nothing (writers call it before publishing).
    public func rejection(of event: RuleEvent) -> RuleEventRejection? {
        do throws(RuleEventRejection) {
            try checkChain(event)
            _ = try check(event)
            return nil
        } catch {
            return error
        }
    }

    /// Records `offset` as not parseable at all (the bytes are not an event): rejected
    /// as `invalid-event`, not chained.
    @discardableResult
    public mutating func recordUndecodable(offset: Int64, problem: String) -> RuleEventOutcome {
        if let last = lastOffset, offset <= last { return .alreadyFolded }
        lastOffset = offset
        let rejection = RuleEventRejection(.invalidEvent, "not a rule event: \(problem)")
        rejected.append(RejectedRuleEvent(offset: offset, eventID: "", rejection: rejection))
        return .rejected(rejection)
    }

    private mutating func record(_ rejection: RuleEventRejection, event: RuleEvent, offset: Int64) -> RuleEventOutcome {
        rejected.append(RejectedRuleEvent(offset: offset, eventID: event.id, rejection: rejection))
        return .rejected(rejection)
    }

    func checkChain(_ event: RuleEvent, contentHash: String? = nil) throws(RuleEventRejection) {
        let computed = contentHash ?? event.computedHash()
        guard event.hash == computed else {
            throw RuleEventRejection(.badHash, "stored hash \(event.hash.isEmpty ? "(empty)" : event.hash) is not the content's hash \(computed)")
        }
        guard event.previousHash == head else {
            throw RuleEventRejection(.staleHead, "previous_hash \(event.previousHash.isEmpty ? "(empty)" : event.previousHash) is not the chain head \(head.isEmpty ? "(empty)" : head): another change was published first; re-read the log and retry")
        }
    }
}

/// One incarnation of an item: its target, which incarnation of it, and its place in
/// creation order (`RuleLogState.histories`).
struct ItemKey: Sendable, Hashable {
    var target: RuleTarget
    var incarnation: Int
    var position: Int32
}

/// What the state knows of one interned target.
struct TargetEntry: Sendable, Hashable {
    /// Positions of the target's incarnations, oldest first.
    var incarnations = PositionList()
    /// For a declaration: whether its names (a field's: its service's and its own) hold
    /// U+001F, the clash key's separator (`RuleClashKey`). Tested once, when the target is
    /// interned, so the check of a rule's clash key tests only its value and tenant, not
    /// again the three names the check has already numbered (four or five names a rule).
    var namesHoldSeparator = false

    init(namesHoldSeparator: Bool = false) { self.namesHoldSeparator = namesHoldSeparator }
    /// For a declaration: the positions of the mappings and thresholds that refer to it,
    /// ascending. A sorted array, not a set: a new rule's position is the largest yet, so
    /// adding one is an append; removing (an update that moves a rule) is a binary search.
    private(set) var users: [Int32] = []

    mutating func addUser(_ position: Int32) {
        if let last = users.last, last >= position {
            let at = insertionPoint(position)
            if at < users.count && users[at] == position { return }
            users.insert(position, at: at)
        } else {
            users.append(position)
        }
    }

    mutating func removeUser(_ position: Int32) {
        let at = insertionPoint(position)
        if at < users.count && users[at] == position { users.remove(at: at) }
    }

    /// The first index whose position is not below `position`.
    private func insertionPoint(_ position: Int32) -> Int {
        var low = 0, high = users.count
        while low < high {
            let mid = (low + high) / 2
            if users[mid] < position { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// One version of an item: its content and validity from the event at `offset` on.
public struct RuleItemRevision: Sendable, Hashable {
    public var offset: Int64
    /// The content, with `validity` applied for rules.
    public var item: RuleItem
    public var validity: RuleValidity
    public var deleted: Bool

    /// Whether the item applies at any instant (a rule deleted before it started never does).
    public var everApplies: Bool { validity.everApplies }
}

extension RuleValidity {
    /// Whether some instant lies inside (a rule deleted before it started has none).
    var everApplies: Bool { end.map { $0 > start } ?? true }
}

/// Every accepted revision of one incarnation of an item, and the events behind them.
///
/// The latest revision and its event are held inline and the earlier ones in an array
/// that most items never fill: as two one-element arrays (`revisions`, `audit`) each
/// created item cost two allocations and each revision two reallocations, about a quarter
/// of the folding thread's allocations. The two lists are read whole only by the API,
/// traces and snapshots; the fold reads `current` in place.
public struct RuleItemHistory: Sendable, Hashable {
    /// The latest revision.
    public private(set) var current: RuleItemRevision
    /// The event behind `current`.
    private var currentAudit: RuleAuditEntry
    /// The revisions before `current` with their events, oldest first.
    private var earlier: [AuditedRevision] = []
    /// This incarnation's place in `RuleLogState.order` (creation order), so
    /// `createdBefore` and the `users` index need no search and no string hashing.
    var position: Int32 = -1

    /// A new item's history: its first revision and the event that created it.
    /// Both are consumed: the fold hands over an audit entry it built for this history
    /// alone, and a copy retained its five strings (and dropping the original released them).
    init(first: consuming RuleItemRevision, audit: consuming RuleAuditEntry) {
        current = first
        currentAudit = audit
    }

    /// A history from its lists (a snapshot's), paired by index: nil unless both hold the
    /// same, non-zero number of entries.
    init?(revisions: [RuleItemRevision], audit: [RuleAuditEntry]) {
        guard let last = revisions.last, let lastAudit = audit.last, revisions.count == audit.count else { return nil }
        current = last
        currentAudit = lastAudit
        earlier = zip(revisions.dropLast(), audit.dropLast()).map { AuditedRevision(revision: $0, audit: $1) }
    }

    /// Every revision, oldest first.
    public var revisions: [RuleItemRevision] { earlier.map(\.revision) + [current] }
    /// The event behind each revision, in the same order.
    public var audit: [RuleAuditEntry] { earlier.map(\.audit) + [currentAudit] }
    /// The number of revisions.
    var revisionCount: Int { earlier.count + 1 }

    /// Each revision with the event behind it, oldest first, without building the lists.
    func forEachRevision(_ body: (RuleItemRevision, RuleAuditEntry) -> Void) {
        for e in earlier { body(e.revision, e.audit) }
        body(current, currentAudit)
    }

    /// The current revision's validity, read in place: the checks read it for every
    /// incarnation they look at, and `current` copies the whole revision, item and all.
    var currentValidity: RuleValidity { current.validity }

    /// Makes `revision`, from the event `audit`, the current one.
    mutating func revise(_ revision: consuming RuleItemRevision, audit: consuming RuleAuditEntry) {
        earlier.append(AuditedRevision(revision: current, audit: currentAudit))
        current = revision
        currentAudit = audit
    }

    /// The revision in force after `version` (nil: the latest); nil if created later.
    /// Revisions are in offset order, so the last one at or before `version` is it.
    public func revision(asOf version: Int64?) -> RuleItemRevision? {
        guard let version else { return current }
        if current.offset <= version { return current }
        return earlier.last { $0.revision.offset <= version }?.revision
    }
}

/// A revision before the current one, with the event behind it.
struct AuditedRevision: Sendable, Hashable {
    var revision: RuleItemRevision
    var audit: RuleAuditEntry
}

/// A module change and when it takes effect.
struct ModuleChangeRecord: Sendable, Hashable {
    var offset: Int64
    var start: EventTime
    var change: RuleChange
    var audit: RuleAuditEntry
}
