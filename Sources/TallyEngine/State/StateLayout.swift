import TallyCore

/// The key of every entry the rater writes, table by table (`StateTable`), in one place:
/// what is on disk is read and written only through these, so the format is one page to
/// read. Every key here is part of the on-disk format (ReservedPutEncodingTests,
/// StateLayoutTests): changing one strands existing state.
///
/// Integers are big-endian (`ByteWriter`), so keys sort as their numbers do; window keys
/// are window-major (`WindowKey.encoded`) so that new windows land at the end of the B-tree.
enum StateLayout {
    /// `.meta`: named values.
    enum Meta {
        static let counters = Array("counters".utf8)
        static let outboxSequence = Array("outbox_sequence".utf8)
        /// The closing clock (i64 micros).
        static let globalClock = Array("global_clock".utf8)
        /// A frames partition's chain head: the last frame's content hash, as hex text.
        static func chainHead(_ partition: Int) -> [UInt8] { Array("chain_head/\(partition)".utf8) }
        /// Frames emitted on a frames partition (i64).
        static func chainCount(_ partition: Int) -> [UInt8] { Array("chain_count/\(partition)".utf8) }
        /// An input partition's clock and its latest event time (two i64).
        static func clock(_ topic: String, _ partition: Int32) -> [UInt8] { Array("clock/\(topic)/\(partition)".utf8) }
        /// The next offset of the corrections topic to read (i64).
        static let correctionsNextOffset = Array("corrections/next_offset".utf8)
        /// A correction command's part executed: its receipt.
        static func correctionDone(_ replayId: String, _ part: Int) -> [UInt8] {
            Array("corrections/done/\(replayId)/\(part)".utf8)
        }
    }

    /// `.offsets`: the topic's name (length-prefixed) and the partition (i32) → the next offset (i64).
    static func offsetKey(_ topic: String, _ partition: Int32) -> [UInt8] {
        var w = ByteWriter(); w.string(topic); w.i32(partition); return w.bytes
    }

    static func offsetPartition(decoding key: UnsafeRawBufferPointer) throws -> (topic: String, partition: Int32) {
        var r = ByteReader(key, what: "offset key"); return (try r.string(), try r.i32())
    }

    /// `.outbox`: the entry's sequence number (u64).
    static func outboxKey(sequence: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8); w.u64(sequence); return w.bytes
    }

    /// `outboxKey(sequence:)` written over `key` (8 bytes): the outbox reuses one array for
    /// every entry it writes or deletes in a batch (an array each was ~600 instructions).
    static func setOutboxKey(_ key: inout [UInt8], sequence: UInt64) {
        precondition(key.count == 8, "an outbox key is 8 bytes")
        key.withUnsafeMutableBytes { $0.storeBytes(of: sequence.bigEndian, as: UInt64.self) }
    }

    /// The sequence number of an `.outbox` or `.dedupe` key.
    static func sequence(decoding key: UnsafeRawBufferPointer, what: String) throws -> UInt64 {
        var r = ByteReader(key, what: what); return try r.u64()
    }

    /// `.symbols`: the symbol's id (u32), appended in id order.
    static func symbolKey(_ symbol: Symbol) -> [UInt8] {
        var w = ByteWriter(capacity: 4); w.u32(symbol.raw); return w.bytes
    }

    static func symbolID(decoding key: UnsafeRawBufferPointer) throws -> UInt32 {
        var r = ByteReader(key, what: "symbol id"); return try r.u32()
    }

    /// `.dedupe`: the batch's sequence number (u64), appended.
    static func dedupeKey(sequence: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8); w.u64(sequence); return w.bytes
    }

    /// `.tierUsage`: scope, metric, window start, resource, group (a series' windows side by side).
    static func tierUsageKey(_ key: WindowKey) -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.u32(key.scope.raw); w.u32(key.metric.raw); w.i64(key.start.micros); w.u32(key.resource.raw); w.u32(key.group.raw)
        return w.bytes
    }

    static func tierUsageWindow(decoding key: UnsafeRawBufferPointer) throws -> WindowKey {
        var r = ByteReader(key, what: "tier usage key")
        let scope = Symbol(raw: try r.u32()), metric = Symbol(raw: try r.u32())
        let start = EventTime(micros: try r.i64())
        return WindowKey(start: start, metric: metric, scope: scope, resource: Symbol(raw: try r.u32()),
                         group: Symbol(raw: try r.u32()))
    }

    /// `.counterMarks`: a series (a window key without its start): metric, scope, resource, group.
    static func counterMarkKey(_ series: WindowKey) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u32(series.metric.raw); w.u32(series.scope.raw); w.u32(series.resource.raw); w.u32(series.group.raw)
        return w.bytes
    }

    static func counterMarkSeries(decoding key: UnsafeRawBufferPointer) throws -> WindowKey {
        var r = ByteReader(key, what: "counter mark key")
        return WindowKey(start: EventTime(micros: 0), metric: Symbol(raw: try r.u32()), scope: Symbol(raw: try r.u32()),
                         resource: Symbol(raw: try r.u32()), group: Symbol(raw: try r.u32()))
    }

    /// A `.meta` value that is one i64 (a chain count, the corrections topic's next offset);
    /// 0 if it is shorter.
    static func int64(_ value: [UInt8]) -> Int64 {
        value.withUnsafeBytes { b in var r = ByteReader(b, what: "meta value"); return (try? r.i64()) ?? 0 }
    }
}
