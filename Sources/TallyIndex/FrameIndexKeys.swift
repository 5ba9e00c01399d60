/// Byte layouts of the index's keys. Times are microseconds since the epoch with the sign
/// bit flipped, big-endian, so byte order is time order (before 1970 included).
enum FrameIndexKeys {
    static func time(_ micros: Int64) -> [UInt8] {
        let biased = UInt64(bitPattern: micros) ^ (1 << 63)
        return (0..<8).map { UInt8(truncatingIfNeeded: biased >> (56 - 8 * UInt64($0))) }
    }

    static func readTime(_ bytes: some Collection<UInt8>) -> Int64 {
        var value: UInt64 = 0
        for byte in bytes.prefix(8) { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value ^ (1 << 63))
    }

    static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func readBigEndian32(_ bytes: some Collection<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for byte in bytes.prefix(4) { value = value << 8 | UInt32(byte) }
        return value
    }

    /// `revisions`: frame id + revision, so one frame's revisions are adjacent and in order.
    static func revision(_ frameId: String, _ revision: Int) -> [UInt8] {
        Array(frameId.utf8) + bigEndian32(UInt32(clamping: revision))
    }

    /// `by_scope`: scope, NUL, window start, frame id: one scope's frames in time order.
    static func byScope(_ scope: String, start: Int64, frameId: String) -> [UInt8] {
        scopePrefix(scope) + time(start) + Array(frameId.utf8)
    }

    static func scopePrefix(_ scope: String) -> [UInt8] { Array(scope.utf8) + [0] }

    /// `by_time`: window start, frame id: every frame in time order.
    static func byTime(start: Int64, frameId: String) -> [UInt8] { time(start) + Array(frameId.utf8) }

    /// `offsets`: the partition number.
    static func partition(_ partition: Int32) -> [UInt8] { bigEndian32(UInt32(bitPattern: partition)) }
}
