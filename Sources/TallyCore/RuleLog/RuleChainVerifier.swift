/// Walks a stored rule log and checks that it is an intact hash chain: no offset
/// missing, every event's hash matching its content, every event linked to the chain
/// head — or, for an event a racing writer published, to an earlier head or to another
/// such stale event (readers reject those as `stale-head`; they are recorded, not tampering). Same chain rules as
/// `RuleLogState` (docs/RULE-LOG.md, "Hash chain").
public struct RuleChainVerifier: Sendable {
    public private(set) var head = ""
    public private(set) var eventCount = 0
    public private(set) var chainedCount = 0
    public private(set) var staleCount = 0
    public private(set) var firstProblem: ChainProblem?
    private var earlierHeads: Set<String> = []
    /// Hashes of stored events left outside the chain (rejected as `stale-head`).
    private var staleHashes: Set<String> = []
    private var nextOffset: Int64

    /// `firstOffset`: where the log must begin (0 for a topic that never expires).
    public init(firstOffset: Int64 = 0) { nextOffset = firstOffset }

    /// Checks the event stored at `offset`: `event` as decoded (nil if it could not be),
    /// `problem` why not, or why its bytes are not its canonical encoding. Returns the
    /// problem found here, if any; the first one is kept in `firstProblem`.
    @discardableResult
    public mutating func check(offset: Int64, event: RuleEvent?, problem: String? = nil) -> ChainProblem? {
        eventCount += 1
        var found: ChainProblem?
        if offset != nextOffset {
            found = ChainProblem(offset: offset, kind: .gap, detail: offset > nextOffset
                ? "offsets \(nextOffset)…\(offset - 1) are missing"
                : "offset \(offset) comes after \(nextOffset - 1): events are out of order or repeated")
        }
        nextOffset = offset + 1
        if found == nil {
            found = link(offset: offset, event: event, problem: problem)
        }
        if let found, firstProblem == nil { firstProblem = found }
        return found
    }

    private mutating func link(offset: Int64, event: RuleEvent?, problem: String?) -> ChainProblem? {
        guard let event else {
            return ChainProblem(offset: offset, kind: .undecodable, detail: problem ?? "not a rule event")
        }
        if let problem { return ChainProblem(offset: offset, kind: .altered, detail: problem) }
        let computed = event.computedHash()
        guard computed == event.hash else {
            return ChainProblem(offset: offset, kind: .altered,
                                detail: "event \(event.id): stored hash \(event.hash) but its content hashes to \(computed)")
        }
        if event.previousHash == head {
            earlierHeads.insert(head)
            head = event.hash
            chainedCount += 1
            return nil
        }
        if earlierHeads.contains(event.previousHash) || staleHashes.contains(event.previousHash) {
            // A racing writer's event, or the next event of its rejected batch (writers
            // before batch events published a change as several events, each linked to
            // the one before): stale too, and harmless.
            staleHashes.insert(event.hash)
            staleCount += 1
            return nil
        }
        return ChainProblem(offset: offset, kind: .brokenLink,
                            detail: "event \(event.id) links to \(event.previousHash.isEmpty ? "(empty)" : event.previousHash), "
                                + "which is neither the chain head \(head.isEmpty ? "(empty)" : head) nor an earlier head: "
                                + "an event before it was removed, altered or reordered")
    }

    /// The report so far; `expectedHead` (e.g. a head recorded in a frame or snapshot)
    /// also catches events removed from the end of the log.
    public func report(expectedHead: String? = nil) -> ChainReport {
        var problem = firstProblem
        if problem == nil, let expectedHead, expectedHead != head, !earlierHeads.contains(expectedHead) {
            problem = ChainProblem(offset: nextOffset, kind: .brokenLink,
                                   detail: "the expected head \(expectedHead) is not in the chain: events are missing at the end")
        }
        return ChainReport(eventCount: eventCount, chainedCount: chainedCount, staleCount: staleCount, head: head,
                           firstProblem: problem)
    }
}

/// Where and how a stored rule log stops being an intact chain.
public struct ChainProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// An offset is missing or out of order.
        case gap
        /// The bytes are not a rule event.
        case undecodable
        /// The content does not match its hash, or the bytes are not canonical.
        case altered
        /// The previous hash names no event of the chain.
        case brokenLink = "broken-link"
    }

    public var offset: Int64
    public var kind: Kind
    public var detail: String

    public var description: String { "offset \(offset): \(kind.rawValue): \(detail)" }
}

/// What `verify` found.
public struct ChainReport: Sendable, Hashable {
    public var eventCount: Int
    /// Events that are links of the chain (accepted or rejected by validation).
    public var chainedCount: Int
    /// Events a racing writer published against an earlier head (harmless, rejected).
    public var staleCount: Int
    public var head: String
    public var firstProblem: ChainProblem?

    public var isIntact: Bool { firstProblem == nil }
}
