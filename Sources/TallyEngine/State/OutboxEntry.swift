/// A record waiting in the outbox: written in the batch transaction that
/// produced it, sent after that commit, deleted after the broker's ack.
public struct OutboxEntry: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case frame = 1, deadLetter = 2, correctionReceipt = 3, checkpoint = 4 }
    public var kind: Kind
    public var topic: String
    public var partition: Int32
    public var key: [UInt8]
    public var value: [UInt8]

    public init(kind: Kind, topic: String, partition: Int32, key: [UInt8], value: [UInt8]) {
        self.kind = kind; self.topic = topic; self.partition = partition; self.key = key; self.value = value
    }

    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCount) { buffer, initialized in
            encode(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = encodedCount
        }
    }

    /// The length of `encoded()`.
    public var encodedCount: Int { 1 + 4 + topic.utf8.count + 4 + 4 + key.count + 4 + value.count }

    /// Writes `encoded()` into `buffer` (`encodedCount` bytes): the outbox puts a frame
    /// straight into the page LMDB reserved for it, with no array between.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = RawByteWriter(buffer)
        w.u8(kind.rawValue)
        var topic = topic
        topic.withUTF8 { w.bytes(UnsafeRawBufferPointer($0)) }
        w.i32(partition)
        key.withUnsafeBytes { w.bytes($0) }
        value.withUnsafeBytes { w.bytes($0) }
        precondition(w.isFull, "outbox entry: encodedCount is not what was written")
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws {
        var r = ByteReader(bytes, what: "outbox entry")
        guard let kind = Kind(rawValue: try r.u8()) else { throw StateCorruption(detail: "outbox entry: unknown kind") }
        self.kind = kind
        topic = try r.string(); partition = try r.i32(); key = try r.bytes(); value = try r.bytes()
    }
}
