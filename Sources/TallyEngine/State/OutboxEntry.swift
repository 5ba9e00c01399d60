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
        var w = ByteWriter(capacity: value.count + key.count + topic.utf8.count + 16)
        w.u8(kind.rawValue); w.string(topic); w.i32(partition); w.bytes(key); w.bytes(value)
        return w.bytes
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws {
        var r = ByteReader(bytes, what: "outbox entry")
        guard let kind = Kind(rawValue: try r.u8()) else { throw StateCorruption(detail: "outbox entry: unknown kind") }
        self.kind = kind
        topic = try r.string(); partition = try r.i32(); key = try r.bytes(); value = try r.bytes()
    }

    public static func key(sequence: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8); w.u64(sequence); return w.bytes
    }
}
