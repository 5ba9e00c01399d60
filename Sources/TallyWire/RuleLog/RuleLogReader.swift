import TallyCore

/// The fold fed with stored bytes, one record at a time, as read from `tally.rules`.
/// Bytes that are not an event are recorded as rejected (`invalid-event`) and are not
/// chained; everything else goes to `RuleLogState.apply`.
public struct RuleLogReader: Sendable {
    public var state: RuleLogState
    /// The last decoded author: most events repeat it, and the decoder then takes this
    /// string instead of making one.
    var lastAuthor = ""

    /// Starts empty, or from a snapshot's state.
    public init(state: RuleLogState = RuleLogState()) { self.state = state }

    /// The common events are read in one pass that also proves the bytes canonical, and
    /// their chain hash is then the stored bytes' (`decodeWithContentHash`); anything else
    /// is decoded as `RuleEventCodec.decode` does and hashed by encoding it again.
    @discardableResult
    public mutating func apply(bytes: [UInt8], offset: Int64) -> RuleEventOutcome {
        var known = RuleEventDirectDecoder.KnownStrings(previousHash: state.head, author: lastAuthor)
        var lastDate = TimestampParser.CommonDate()
        return apply(Self.decode(bytes, known: &known, lastDate: &lastDate, hashEveryEvent: false), offset: offset)
    }

    /// Folds one decoded record (`decode`), as `apply(bytes:offset:)` does. The record is
    /// consumed: binding the event out of a borrowed record copied it (every string
    /// retained, and released again with the record), ~300 instructions a record.
    mutating func apply(_ decoded: consuming DecodedRuleRecord, offset: Int64) -> RuleEventOutcome {
        switch consume decoded {
        case .event(let event, let contentHash):
            lastAuthor = event.author
            return state.apply(event, offset: offset, contentHash: contentHash)
        case .undecodable(let problem):
            return state.recordUndecodable(offset: offset, problem: problem)
        case .taken:
            preconditionFailure("a decoded record applied twice")
        }
    }

    /// What the state is handed for one stored record. Pure (nothing of the state is read:
    /// `known` only lends strings the bytes may spell), so it can run on another thread.
    /// On return `known` holds the event's own hash and author (what the next record
    /// likely repeats; its interner is kept); set here, where the event is still a local,
    /// because taking them from the decoded record copied the whole event out of it.
    /// `hashEveryEvent`: also hash an event the one-pass decoder could not prove canonical
    /// (by encoding it again, as `RuleLogState.apply` would), so that the state's thread
    /// never does. `lastDate`: the last time's date and day count, kept across records
    /// like `known` (`TimestampParser.CommonDate`).
    static func decode(_ bytes: [UInt8], known: inout RuleEventDirectDecoder.KnownStrings,
                       lastDate: inout TimestampParser.CommonDate, hashEveryEvent: Bool) -> DecodedRuleRecord {
        var contentHash: String?
        if let event = RuleEventDirectDecoder.decode(bytes, known: known, lastDate: &lastDate, contentHash: &contentHash) {
            known.previousHash = event.hash
            known.author = event.author
            return .event(event, contentHash: contentHash ?? (hashEveryEvent ? event.computedHash() : nil))
        }
        do throws(RuleEventDecodingError) {
            let event = try RuleEventCodec.decodeTree(bytes)
            known.previousHash = event.hash
            known.author = event.author
            return .event(event, contentHash: hashEveryEvent ? event.computedHash() : nil)
        } catch {
            return .undecodable(error.description)
        }
    }
}

/// One stored record as decoded for the fold: an event with the hash its content calls
/// for (nil: the state computes it), or the reason the bytes are not an event.
enum DecodedRuleRecord {
    case event(RuleEvent, contentHash: String?)
    case undecodable(String)
    /// What is left in a batch's slot once its record was moved out to be applied.
    case taken
}

/// Checking a stored log (`tally rules verify`).
public enum RuleLogVerification {
    /// Recomputes every event's hash from its bytes, checks that the bytes are the
    /// canonical encoding, that each event links to the chain head (or, for a racing
    /// writer's event, to an earlier head) and that offsets have no gap. Reports the
    /// first problem with its offset. `expectedHead` also catches a truncated tail.
    public static func verify(events: [(offset: Int64, bytes: [UInt8])], firstOffset: Int64 = 0,
                              expectedHead: String? = nil) -> ChainReport {
        var verifier = RuleChainVerifier(firstOffset: firstOffset)
        for (offset, bytes) in events {
            do throws(RuleEventDecodingError) {
                let event = try RuleEventCodec.decode(bytes)
                let problem = RuleEventCodec.isCanonical(bytes, of: event) ? nil
                    : "event \(event.id): the stored bytes are not the canonical encoding of the event"
                verifier.check(offset: offset, event: event, problem: problem)
            } catch {
                verifier.check(offset: offset, event: nil, problem: error.description)
            }
        }
        return verifier.report(expectedHead: expectedHead)
    }
}

/// What a writer publishes: the bytes of each event in order, and the head readers
/// will reach once all are folded (compare with the state after reading them back).
public struct RuleLogPublication: Sendable {
    public var events: [RuleEvent]
    public var records: [[UInt8]]
    public var expectedHead: String

    /// Prepares `changes` on `state` and checks them as every reader would; throws the
    /// first rejection (nothing must be published then).
    /// `atomic` (the default): one event for all the changes (`RuleLogWriter.prepareAtomic`),
    /// so a racing writer can never leave half a change in the log; false: one event each.
    public init(changes: [PlannedRuleChange], author: String, reason: String, force: Bool = false, now: EventTime,
                state: RuleLogState, atomic: Bool = true, newID: ((Int) -> String)? = nil) throws(RuleEventRejection) {
        let events = atomic
            ? RuleLogWriter.prepareAtomic(changes: changes, author: author, reason: reason, force: force, now: now,
                                          head: state.head, newID: newID)
            : RuleLogWriter.prepare(changes: changes, author: author, reason: reason, force: force, now: now,
                                    head: state.head, newID: newID)
        let check = RuleLogWriter.check(events, against: state)
        if let rejected = check.firstRejection {
            // A batch's rejection already names the part ("change i of n (…)").
            if case .batch = rejected.event.change { throw rejected.rejection }
            throw RuleEventRejection(rejected.rejection.code,
                                     "change \(rejected.index + 1) of \(events.count) (\(changes[rejected.index])): \(rejected.rejection.message)")
        }
        self.events = events
        self.records = events.map(RuleEventCodec.encode)
        self.expectedHead = check.expectedHead
    }
}
