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

    /// `text` is `value.canonicalText`. `scratch` is the caller's reused buffer.
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
