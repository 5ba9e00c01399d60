/// The buffer frames are sealed into, reused from frame to frame: a rater seals every
/// frame it closes into one of these, so a frame costs no allocation but its record's.
/// Noncopyable, like the writer it holds.
public struct FrameBuffer: ~Copyable {
    var writer = CanonicalWriter(capacity: 4096)
    public init() {}

    /// Starts a record: `{"content_hash":"`, room for its 64 hex digits (filled in once the
    /// body is hashed), `",`, and the body's members next, without a comma before the first.
    /// Returns where the digits go and where the body's members start.
    mutating func startRecord() -> (hashAt: Int, bodyStart: Int) {
        writer.reset()
        writer.literal(#"{"content_hash":""#)
        let hashAt = writer.count
        writer.withTail(64) { _ in }
        writer.literal(#"","#)
        let bodyStart = writer.count
        writer.continueObject()
        return (hashAt, bodyStart)
    }
}

extension Frame {
    /// Computes the content hash, links the frame to `previousHash` and returns the
    /// record value: the canonical body plus `content_hash` and `previous_hash`.
    public mutating func seal(previousHash: String) -> [UInt8] {
        var buffer = FrameBuffer()
        return seal(previousHash: previousHash, into: &buffer)
    }

    /// The same, written in `buffer`. The record is written once, in place: `content_hash`
    /// (which sorts first) as a placeholder filled in at the end, then the body's members
    /// with `previous_hash` at its canonical place (just before `previous_price`). The
    /// content hash covers the body without the two hashes, so it is computed over the
    /// record's bytes in two pieces around `previous_hash`, with the body's opening brace
    /// in front: one pass over the bytes, no second copy of the body.
    public mutating func seal(previousHash: String, into buffer: inout FrameBuffer) -> [UInt8] {
        self.previousHash = previousHash
        let (hashAt, bodyStart) = buffer.startRecord()
        let (cut, resume) = writeMembers(to: &buffer.writer, previousHash: previousHash)
        contentHash = buffer.writer.fillContentHash(at: hashAt, body: bodyStart..<cut, resume)
        return buffer.writer.bytes
    }
}
