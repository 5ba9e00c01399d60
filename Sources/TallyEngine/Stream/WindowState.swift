import TallyCore

/// A window in memory: its accumulator, its description (metadata of the sample
/// with the latest event time) and what it has emitted so far.
struct WindowState {
    var key: WindowKey
    var metric: Int
    var bounds: WindowBounds
    var accumulator: Accumulator
    var project: Symbol = .none
    var user: Symbol = .none
    /// Event time of the sample that set `project`, `user` and `metadata`.
    var describedAt = EventTime(micros: .min)
    var describedBy = SampleKey(high: 0, low: 0)
    var groupValues: [MetaValue]
    var metadata: [MetaValue]
    var lineage: [LineageEntry] = []
    var digest = SampleDigest()
    /// Frames emitted so far for this window; the next one is `revision + 1`.
    var revision: Int32 = 0
    var lastPrice = ExactDecimal.zero
    /// The tier usage (`TierUsageMark`) in the explanation of the last frame emitted for a
    /// tier-priced window; nil when unknown (not tier-priced, a record written before this
    /// field, or after a correction): then a re-pricing revises. A re-pricing that leaves price
    /// and quantity alone still moves the explanation's prior usage (`prior_quantity`,
    /// `prior_windows`, `cumulative_*`) when an earlier window of the cycle closed since; the
    /// frame must then be revised, or its latest revision is not what a replay gives (verify:
    /// NOT REPRODUCED). Kept in the durable record so a restart does not revise needlessly.
    var lastTierUsage: TierUsageMark?
    var closed = false
    var dirty = true
    /// Reopened only to be priced again after an earlier window of its tier cycle changed.
    var repricing = false
    /// A late sample moved the last point, which the next window is seeded from.
    var lastPointChanged = false

    mutating func note(topic: UInt16, partition: Int32, offset: Int64) {
        for i in lineage.indices where lineage[i].topic == topic && lineage[i].partition == partition {
            lineage[i].firstOffset = min(lineage[i].firstOffset, offset)
            lineage[i].lastOffset = max(lineage[i].lastOffset, offset)
            lineage[i].samples += 1
            return
        }
        lineage.append(LineageEntry(topic: topic, partition: partition, firstOffset: offset, lastOffset: offset, samples: 1))
        lineage.sort { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}

extension WindowState {
    /// 2 adds the last tier usage mark; 1 is still read (the mark is then unknown).
    private static let recordVersion: UInt8 = 2

    /// The durable form; `topics` maps lineage topic indexes to their names' bytes, so the
    /// record does not depend on the order of inputs in the configuration.
    func encoded(topics: [[UInt8]]) -> [UInt8] {
        let accumulatorCount = accumulator.encodedCount
        let count = encodedCount(accumulatorCount: accumulatorCount, topics: topics)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            encode(into: UnsafeMutableRawBufferPointer(buffer), accumulatorCount: accumulatorCount, topics: topics)
            initialized = count
        }
    }

    /// The length of the durable form whose accumulator encodes to `accumulatorCount` bytes.
    func encodedCount(accumulatorCount: Int, topics: [[UInt8]]) -> Int {
        var count = 1 + 8 + 4 + 4 + 8 + 16 + 4 + 5 * groupValues.count + 4 + 5 * metadata.count + 4
        for l in lineage { count += 4 + topics[Int(l.topic)].count + 4 + 8 + 8 + 8 }
        count += 16 + 4 + 16 + 4 + 1 + (lastTierUsage == nil ? 1 : 9) + 4 + accumulatorCount
        return count
    }

    /// Writes the durable form into `buffer` (`encodedCount` bytes; `accumulatorCount` is the
    /// accumulator's `encodedCount`): the commit writes each dirty window straight into the
    /// space LMDB reserves for it, a word at a time, its accumulator included (appended to an
    /// array byte by byte, then copied into LMDB, it was a third of the store phase).
    func encode(into buffer: UnsafeMutableRawBufferPointer, accumulatorCount: Int, topics: [[UInt8]]) {
        var w = RawByteWriter(buffer)
        w.u8(WindowState.recordVersion)
        w.i64(bounds.end.micros)
        w.u32(project.raw); w.u32(user.raw)
        w.i64(describedAt.micros); w.u64(describedBy.high); w.u64(describedBy.low)
        w.u32(UInt32(groupValues.count)); for v in groupValues { w.u8(v.kind.rawValue); w.u32(v.text.raw) }
        w.u32(UInt32(metadata.count)); for v in metadata { w.u8(v.kind.rawValue); w.u32(v.text.raw) }
        w.u32(UInt32(lineage.count))
        for l in lineage {
            topics[Int(l.topic)].withUnsafeBytes { w.bytes($0) }
            w.i32(l.partition); w.i64(l.firstOffset); w.i64(l.lastOffset); w.i64(l.samples)
        }
        w.u64(digest.high); w.u64(digest.low)
        w.i32(revision)
        w.i64(Int64(truncatingIfNeeded: lastPrice.coefficient >> 64)); w.u64(UInt64(truncatingIfNeeded: lastPrice.coefficient))
        w.i32(lastPrice.exponent)
        w.u8(closed ? 1 : 0)
        if let mark = lastTierUsage { w.u8(1); w.u64(mark.value) } else { w.u8(0) }
        w.u32(UInt32(accumulatorCount))
        accumulator.encode(into: w.next(accumulatorCount))
        precondition(w.isFull, "window record: encodedCount is not what was written")
    }

    init(key: WindowKey, metric: Int, decoding bytes: UnsafeRawBufferPointer, topicIndex: (String) -> UInt16) throws {
        var r = ByteReader(bytes, what: "window record")
        let version = try r.u8()
        guard version == 1 || version == WindowState.recordVersion else {
            throw StateCorruption(detail: "window record: unknown version \(version)")
        }
        self.key = key
        self.metric = metric
        bounds = WindowBounds(start: key.start, end: EventTime(micros: try r.i64()))
        project = Symbol(raw: try r.u32()); user = Symbol(raw: try r.u32())
        describedAt = EventTime(micros: try r.i64())
        describedBy = SampleKey(high: try r.u64(), low: try r.u64())
        func values(_ r: inout ByteReader) throws -> [MetaValue] {
            try (0..<Int(try r.u32())).map { _ in
                guard let kind = MetaKind(rawValue: try r.u8()) else { throw StateCorruption(detail: "window record: bad value kind") }
                return MetaValue(kind: kind, text: Symbol(raw: try r.u32()))
            }
        }
        groupValues = try values(&r)
        metadata = try values(&r)
        lineage = try (0..<Int(try r.u32())).map { _ in
            LineageEntry(topic: topicIndex(try r.string()), partition: try r.i32(), firstOffset: try r.i64(),
                         lastOffset: try r.i64(), samples: try r.i64())
        }
        digest = SampleDigest(high: try r.u64(), low: try r.u64())
        revision = try r.i32()
        let high = try r.i64(), low = try r.u64()
        lastPrice = ExactDecimal(coefficient: Int128(high) << 64 | Int128(low), exponent: try r.i32())
        closed = try r.u8() == 1
        if version >= 2, try r.u8() == 1 { lastTierUsage = TierUsageMark(value: try r.u64()) }
        let acc = try r.bytes()
        accumulator = try Accumulator.decode(from: acc)
        dirty = false
    }

    /// The window's end, read from the front of its record without decoding the rest (the
    /// purge reads every stored window's).
    static func end(ofRecord bytes: UnsafeRawBufferPointer) throws -> EventTime {
        var r = ByteReader(bytes, what: "window record")
        _ = try r.u8()
        return EventTime(micros: try r.i64())
    }
}

extension UInt64 {
    @inline(__always) func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
