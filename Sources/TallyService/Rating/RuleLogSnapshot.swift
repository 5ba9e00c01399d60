import TallyCore
import TallyRuntime
import TallyWire

/// The rule log as `RuleLogFollower` has folded it so far. Immutable: a request reads one
/// without locks while the follower folds the next events into the next snapshot.
public struct RuleLogSnapshot: Sendable {
    /// One stored record of the log and what the fold made of it.
    public struct Record: Sendable {
        public let offset: Int64
        public let bytes: [UInt8]
        public let outcome: RuleEventOutcome
    }

    /// The book in force over one epoch (an interval in which the book does not change),
    /// built once per snapshot so that quotes in that interval share it.
    struct EpochBook: Sendable {
        let start: EventTime?
        let end: EventTime?
        let book: RuleBook

        func contains(_ time: EventTime) -> Bool {
            (start.map { $0 <= time } ?? true) && (end.map { time < $0 } ?? true)
        }
    }

    /// The fold of every record before `nextOffset`.
    public let state: RuleLogState
    /// Every stored record folded, in offset order.
    public let records: [Record]
    /// The next offset the follower reads: every record before it is folded here.
    public let nextOffset: Int64
    /// False while the topic does not exist (nothing was ever written to it).
    public let topicExists: Bool
    let currentBook: EpochBook?

    static let empty = RuleLogSnapshot(state: RuleLogState(), records: [], nextOffset: 0, topicExists: false, at: nil)

    /// `at`: the instant whose epoch's book is built ahead (nil: none).
    init(state: RuleLogState, records: [Record], nextOffset: Int64, topicExists: Bool, at: EventTime?) {
        self.state = state
        self.records = records
        self.nextOffset = nextOffset
        self.topicExists = topicExists
        if let at, state.version != nil, let book = try? state.ruleBook(at: at) {
            let epoch = state.epoch(containing: at)
            currentBook = EpochBook(start: epoch.start, end: epoch.end, book: book)
        } else {
            currentBook = nil
        }
    }

    /// The chain head's hash ("" before any event) and the rule book's version.
    public var head: String { state.head }
    public var version: Int64? { state.version }

    /// The book in force at `time`: the one built ahead when `time` is in its epoch.
    func ruleBook(at time: EventTime) throws -> RuleBook {
        if let currentBook, currentBook.contains(time) { return currentBook.book }
        return try state.ruleBook(at: time)
    }

    /// The stored records as the rule-log client returns them (for chain and signature checks).
    var storedEvents: [RuleLogClient.StoredEvent] { records.map { ($0.offset, $0.bytes) } }

    /// The records at offsets `from` and later (a few, at the end: found from the back).
    func records(from offset: Int64) -> ArraySlice<Record> {
        var start = records.endIndex
        while start > records.startIndex, records[start - 1].offset >= offset { start -= 1 }
        return records[start...]
    }

    /// The chain walk of `tally rules verify` over the records folded here (no broker read).
    func verify(expectedHead: String? = nil) -> ChainReport {
        RuleLogVerification.verify(events: storedEvents, expectedHead: expectedHead)
    }
}
