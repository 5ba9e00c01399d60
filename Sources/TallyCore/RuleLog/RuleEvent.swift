/// Who signed an event and the signature: `key` names the public key (the first 16 hex
/// digits of its SHA-256), `value` is the base64 Ed25519 signature of the UTF-8 of the
/// event's `hash`, which covers every other member (author included).
public struct RuleEventSignature: Sendable, Hashable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// One event of the rule log (`tally.rules`): who changed what, why, when it was
/// recorded, when it takes effect, and its place in the hash chain.
/// Format and hash: docs/RULE-LOG.md.
public struct RuleEvent: Sendable, Hashable {
    /// Unique per event (writers use a UUID).
    public var id: String
    public var author: String
    public var reason: String
    /// When the writer recorded the change: the "now" of CloudKitty's past-start rule,
    /// so every reader folds the same way whatever its own clock says.
    public var recordedAt: EventTime
    /// When the change takes effect.
    public var start: EventTime
    /// For create and update: when the item stops applying (nil: open-ended).
    public var end: EventTime?
    /// The author's explicit consent to a start before `recordedAt`.
    public var force: Bool
    public var change: RuleChange
    /// The chain head the writer saw: the previous chained event's hash, "" for the first.
    public var previousHash: String
    /// SHA-256 (lowercase hex) of the canonical encoding of every other member.
    public var hash: String
    /// The writer's Ed25519 signature of `hash` (nil: unsigned). Like `hash`, it is not
    /// covered by the hash: it is added after sealing (docs/RULE-LOG.md, "Signatures").
    public var signature: RuleEventSignature?
}

// The initialisers live in an extension so that the struct keeps its implicit memberwise
// init (internal), which both call: a hand-written init that assigns the members one by
// one compiled (Swift 6.3, -O) to building the event in one stack temporary, copying it
// into a second one (`initializeWithCopy for RuleEvent`: a retain per string and of the
// change) and destroying the first (a release each), ~500 instructions per decoded event
// on the rule log's decode thread; the memberwise init stores the members straight into
// the result. Each call passes `signature:`, which only the memberwise init takes: without
// it, overload resolution would pick the public init again.
extension RuleEvent {
    /// An event; the payload's validity is set from `start`/`end`. `hash` stays as
    /// given ("" by default): call `sealed(after:)` to chain and hash it.
    public init(id: String, author: String, reason: String, recordedAt: EventTime, start: EventTime,
                end: EventTime? = nil, force: Bool = false, change: RuleChange,
                previousHash: String = "", hash: String = "") {
        let validity = RuleValidity(start: start, end: end)
        let dated: RuleChange
        switch change {
        case .create(let item): dated = .create(item.with(validity: validity))
        case .update(let item): dated = .update(item.with(validity: validity))
        case .batch(let parts): dated = .batch(parts.map(Self.dated))
        default: dated = change
        }
        self.init(id: id, author: author, reason: reason, recordedAt: recordedAt, start: start, end: end, force: force,
                  change: dated, previousHash: previousHash, hash: hash, signature: nil)
    }

    /// An event whose change already carries its validity (a create's or update's item
    /// dated from `start`/`end`, as the public init would set it): decoders that build the
    /// item knowing the times, so it is not copied again. RuleEventDirectDecoderTests holds
    /// the decoded events equal to the tree decoder's. `signature` is set here too, so the
    /// decoder does not set it on the built event. Through the memberwise init, so the event
    /// is not copied on its way out (the extension's comment says why).
    package init(id: String, author: String, reason: String, recordedAt: EventTime, start: EventTime,
                 end: EventTime?, force: Bool, datedChange change: RuleChange, previousHash: String, hash: String,
                 signature: RuleEventSignature? = nil) {
        self.init(id: id, author: author, reason: reason, recordedAt: recordedAt, start: start, end: end, force: force,
                  change: change, previousHash: previousHash, hash: hash, signature: signature)
    }

    /// A batch part with its validity set on the item, as a decoded one would have it.
    private static func dated(_ part: PlannedRuleChange) -> PlannedRuleChange {
        var part = part
        let validity = RuleValidity(start: part.start, end: part.end)
        switch part.change {
        case .create(let item): part.change = .create(item.with(validity: validity))
        case .update(let item): part.change = .update(item.with(validity: validity))
        default: break
        }
        return part
    }

    /// The events a batch's parts would be on their own: same id, authorship, times,
    /// chain and hash, each part's own start and end. Any other event is its own part.
    public var parts: [RuleEvent] {
        guard case .batch(let planned) = change else { return [self] }
        return planned.map { part in
            RuleEvent(id: id, author: author, reason: reason, recordedAt: recordedAt, start: part.start, end: part.end,
                      force: force, change: part.change, previousHash: previousHash, hash: hash)
        }
    }

    /// The hash this event's content calls for (independent of the stored `hash`).
    public func computedHash() -> String {
        var sha = SHA256()
        sha.update(canonicalBytes(includingHash: false))
        return sha.finalize().lowercaseHex
    }

    /// Whether `hash` matches the content.
    public var hashIsValid: Bool { hash == computedHash() }

    /// This event linked after `previousHash` and hashed.
    public func sealed(after previousHash: String) -> RuleEvent {
        var event = self
        event.previousHash = previousHash
        event.hash = event.computedHash()
        return event
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, two digits per byte.
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
