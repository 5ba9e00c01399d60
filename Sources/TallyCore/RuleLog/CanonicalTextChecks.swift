/// Whether a member's stored text is the text the canonical encoding writes for the value
/// read from it. The rule-log reader hashes an event's stored bytes instead of encoding
/// the event again only when every member passes (docs/RULE-LOG.md, "Canonical encoding
/// and hash"); these compare with the very writers the canonical encoding uses.
package enum CanonicalTextChecks {
    /// `text` is `Timestamps.iso8601(time)` (no quotes).
    package static func isCanonical(_ text: UnsafeRawBufferPointer, time: EventTime) -> Bool {
        guard text.count == 20 || text.count == 27 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { b in
            guard let n = Timestamps.fill(time, b), n == text.count else { return false }
            return memoryEqual(UnsafeRawBufferPointer(b), text, count: n)
        }
    }

    /// `text` is `value.canonicalText`, where `value` is what `ExactDecimal(ascii:)` read from
    /// `text`: judged by its form, as `TimestampParser.commonIsCanonical` judges a time.
    /// The writer gives plain notation with no trailing zeros after the point: "0", or an
    /// optional `-`, then `0` or digits not starting with `0`, then optionally `.` and digits
    /// ending in one that is not `0` (a leading `0` needs the fraction: "-0" and "0.0" are
    /// zero, written "0"). The value read from such text keeps each digit (up to 38, or the
    /// parse failed), so writing it again gives the same bytes; anything else it writes
    /// differently. Writing the text again to compare cost an array and ~600 instructions a
    /// decimal on the rule log's decode thread. `isCanonical(_:decimal:scratch:)` is the
    /// reference (RuleLogDecimalCheckTests holds the two together).
    package static func isCanonicalDecimal(_ text: UnsafeRawBufferPointer) -> Bool {
        let n = text.count
        guard n > 0 else { return false }
        if n == 1 && text[0] == UInt8(ascii: "0") { return true }
        var i = text[0] == UInt8(ascii: "-") ? 1 : 0
        guard i < n, isDigit(text[i]) else { return false }
        let leadingZero = text[i] == UInt8(ascii: "0")
        i += 1
        if leadingZero {
            guard i < n, text[i] == UInt8(ascii: ".") else { return false }
        } else {
            while i < n && isDigit(text[i]) { i += 1 }
            if i == n { return true }
            guard text[i] == UInt8(ascii: ".") else { return false }
        }
        i += 1  // the point: at least one digit follows, and the last is not 0
        guard i < n, text[n - 1] != UInt8(ascii: "0") else { return false }
        while i < n {
            guard isDigit(text[i]) else { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `text` is `value.canonicalText`, by writing it again. `scratch` is the caller's reused
    /// buffer.
    package static func isCanonical(_ text: UnsafeRawBufferPointer, decimal value: ExactDecimal, scratch: inout [UInt8]) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        CanonicalJSON.writeDecimalText(value, into: &scratch)
        return text.elementsEqual(scratch)
    }

    private static func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, count: Int) -> Bool {
        for i in 0..<count where a[i] != b[i] { return false }
        return true
    }
}
