/// The buffer frames are sealed into, reused from frame to frame: a rater seals every
/// frame it closes into one of these, so a frame costs no allocation but its record's.
/// Noncopyable, like the writer it holds.
public struct FrameBuffer: ~Copyable {
    var writer = CanonicalWriter(capacity: 4096)
    public init() {}
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
        buffer.writer.reset()
        buffer.writer.raw(#"{"content_hash":""#)
        let hashAt = buffer.writer.count
        buffer.writer.raw("0000000000000000000000000000000000000000000000000000000000000000")
        buffer.writer.raw(#"","#)
        let bodyStart = buffer.writer.count
        buffer.writer.continueObject()
        let (cut, resume) = writeMembers(to: &buffer.writer, previousHash: previousHash)
        contentHash = buffer.writer.fillContentHash(at: hashAt, body: bodyStart..<cut, resume)
        return buffer.writer.bytes
    }
}
