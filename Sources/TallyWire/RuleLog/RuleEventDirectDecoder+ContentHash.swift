import TallyCore

/// The chain hash from the stored bytes. An event's hash is the SHA-256 of its canonical
/// encoding without `hash` (and `signature`, which is not covered either); writers publish
/// the canonical encoding with them, so when the stored bytes are canonical the hash is
/// that of the bytes with those two members cut out, and the event need not be encoded
/// again. Bytes that are not canonical (or that the direct decoder does not read) get no
/// hash here: the fold then encodes the event as before, so a non-canonical record is
/// found and judged exactly as it always was. RuleEventContentHashTests holds the hash to
/// `RuleEvent.computedHash()`, on canonical and on altered bytes.
extension RuleEventDirectDecoder {
    /// The event and, when the bytes are canonical, the hash its content calls for;
    /// nil when the direct decoder does not read these bytes. `known`: strings the event
    /// is likely to repeat (the chain head for `previous_hash`, the last author), taken
    /// instead of new ones when the bytes spell them. A content hash equal to the stored
    /// `hash` is answered with the event's own `hash` string (no second string).
    static func decodeWithContentHash(_ bytes: [UInt8], known: KnownStrings = KnownStrings())
        -> (event: RuleEvent, contentHash: String?)? {
        var contentHash: String?
        var lastDate = TimestampParser.CommonDate()
        guard let event = decode(bytes, known: known, lastDate: &lastDate, contentHash: &contentHash) else { return nil }
        return (event, contentHash)
    }

    /// `decodeWithContentHash`, the hash written to `contentHash` (left nil when the bytes
    /// are not canonical). What the fold calls: returned in an optional tuple, the event
    /// was copied through the tuple's generic value witness (`tuple_initializeWithCopy`,
    /// ~300 instructions a copy under callgrind) on its way into the decoded record.
    /// `lastDate`: the date the last event's times had (`TimestampParser.CommonDate`),
    /// left at this event's.
    static func decode(_ bytes: [UInt8], known: KnownStrings, lastDate: inout TimestampParser.CommonDate,
                       contentHash hashOut: inout String?) -> RuleEvent? {
        bytes.withUnsafeBytes { raw -> RuleEvent? in
            var reader = Reader(scanner: JSONScanner(raw), canonical: true, known: known, lastDate: lastDate)
            let event: RuleEvent
            defer { lastDate = reader.lastDate }
            do throws(Unhandled) { event = try reader.event() } catch { return nil }
            if reader.canonical, let hashMember = reader.hashMember {
                hashOut = contentHash(raw, cutting: hashMember, reader.signatureMember, stored: event.hash)
            }
            return event
        }
    }

    /// SHA-256 (lowercase hex) of `bytes` without the two members, `signature` after
    /// `hash` as the canonical key order has it; `stored` itself when it spells the digest.
    private static func contentHash(_ bytes: UnsafeRawBufferPointer, cutting hash: Range<Int>,
                                    _ signature: Range<Int>?, stored: String) -> String {
        var sha = SHA256()
        sha.update(buffer: UnsafeRawBufferPointer(rebasing: bytes[..<hash.lowerBound]))
        if let signature {
            sha.update(buffer: UnsafeRawBufferPointer(rebasing: bytes[hash.upperBound..<signature.lowerBound]))
            sha.update(buffer: UnsafeRawBufferPointer(rebasing: bytes[signature.upperBound...]))
        } else {
            sha.update(buffer: UnsafeRawBufferPointer(rebasing: bytes[hash.upperBound...]))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
            sha.writeHex(to: hex.baseAddress!)
            let digest = UnsafeRawBufferPointer(hex)
            if spells(digest, stored) { return stored }
            return String(decoding: digest, as: UTF8.self)
        }
    }
}
