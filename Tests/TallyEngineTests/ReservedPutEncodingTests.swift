import Testing
import TallyCore
@testable import TallyEngine

/// The commit writes window records, outbox entries and dedupe records in place, into the
/// space the store reserves for them (`StateTransaction.put(_:_:count:append:fill:)`). The
/// bytes must be exactly those the array encoders wrote before (the on-disk format did not
/// change): each test spells out the old layout with `ByteWriter` and compares.
@Suite struct ReservedPutEncodingTests {
    @Test func theRawWriterWritesWhatByteWriterWrites() {
        var expected = ByteWriter()
        expected.u8(0xAB); expected.u32(0x0102_0304); expected.u64(0x0506_0708_090A_0B0C)
        expected.i64(-1); expected.i32(-5); expected.bytes([9, 8, 7]); expected.raw([6])
        var out = [UInt8](repeating: 0xEE, count: expected.bytes.count)
        out.withUnsafeMutableBytes { buffer in
            var w = RawByteWriter(buffer)
            w.u8(0xAB); w.u32(0x0102_0304); w.u64(0x0506_0708_090A_0B0C); w.i64(-1); w.i32(-5)
            [UInt8]([9, 8, 7]).withUnsafeBytes { w.bytes($0) }
            [UInt8]([6]).withUnsafeBytes { w.raw($0) }
            #expect(w.isFull)
        }
        #expect(out == expected.bytes)
    }

    /// The window record as `WindowState.encoded` wrote it before, byte by byte.
    private static func oldLayout(_ window: WindowState, topics: [[UInt8]]) -> [UInt8] {
        var w = ByteWriter()
        w.u8(2)
        w.i64(window.bounds.end.micros)
        w.u32(window.project.raw); w.u32(window.user.raw)
        w.i64(window.describedAt.micros); w.u64(window.describedBy.high); w.u64(window.describedBy.low)
        w.u32(UInt32(window.groupValues.count)); for v in window.groupValues { w.u8(v.kind.rawValue); w.u32(v.text.raw) }
        w.u32(UInt32(window.metadata.count)); for v in window.metadata { w.u8(v.kind.rawValue); w.u32(v.text.raw) }
        w.u32(UInt32(window.lineage.count))
        for l in window.lineage {
            w.bytes(topics[Int(l.topic)]); w.i32(l.partition); w.i64(l.firstOffset); w.i64(l.lastOffset); w.i64(l.samples)
        }
        w.u64(window.digest.high); w.u64(window.digest.low)
        w.i32(window.revision)
        w.i64(Int64(truncatingIfNeeded: window.lastPrice.coefficient >> 64))
        w.u64(UInt64(truncatingIfNeeded: window.lastPrice.coefficient))
        w.i32(window.lastPrice.exponent)
        w.u8(window.closed ? 1 : 0)
        if let mark = window.lastTierUsage { w.u8(1); w.u64(mark.value) } else { w.u8(0) }
        var accumulator: [UInt8] = []
        window.accumulator.encode(into: &accumulator)
        w.bytes(accumulator)
        return w.bytes
    }

    @Test func aWindowRecordKeepsItsLayoutWithAndWithoutATierMark() {
        let topics = [Array("usage".utf8), Array("usage#ceilometer".utf8)]
        var window = WindowRecordEncodingTests.window()
        #expect(window.encoded(topics: topics) == Self.oldLayout(window, topics: topics))
        window.lastTierUsage = nil
        window.closed = false
        window.lineage = []
        window.metadata = []
        #expect(window.encoded(topics: topics) == Self.oldLayout(window, topics: topics))
    }

    /// The key the commit writes over one reused buffer is the key's `encoded` bytes.
    @Test func aWindowKeyWrittenInPlaceIsItsEncodedForm() throws {
        var state: UInt64 = 11
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state }
        var buffer = [UInt8](repeating: 0xEE, count: WindowKey.encodedSize)
        for _ in 0..<500 {
            let key = WindowKey(start: EventTime(micros: Int64(bitPattern: next())), metric: Symbol(raw: UInt32(truncatingIfNeeded: next())),
                                scope: Symbol(raw: UInt32(truncatingIfNeeded: next())), resource: Symbol(raw: UInt32(truncatingIfNeeded: next())),
                                group: Symbol(raw: UInt32(truncatingIfNeeded: next())))
            buffer.withUnsafeMutableBytes { key.encode(into: $0) }
            #expect(buffer == key.encoded)
            #expect(try buffer.withUnsafeBytes { try WindowKey(decoding: $0) } == key)
        }
    }

    @Test func anOutboxEntryKeepsItsLayoutAndReadsBack() throws {
        let entry = OutboxEntry(kind: .frame, topic: "tally.frames", partition: 3, key: Array("project-ü".utf8),
                                value: (0..<1_900).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        var old = ByteWriter()
        old.u8(entry.kind.rawValue); old.string(entry.topic); old.i32(entry.partition); old.bytes(entry.key); old.bytes(entry.value)
        #expect(entry.encodedCount == old.bytes.count)
        let encoded = entry.encoded()
        #expect(encoded == old.bytes)
        #expect(try encoded.withUnsafeBytes { try OutboxEntry(decoding: $0) } == entry)
    }

    /// A store without a reserving put of its own (the memory store, the group task's
    /// capturing transaction) gets the value as an array through `put`.
    @Test func theDefaultReservingPutStoresTheFilledBytes() throws {
        let store = MemoryStateStore()
        try store.write { txn in
            try txn.put(.outbox, [0, 1], count: 5, append: true) { buffer in
                var w = RawByteWriter(buffer); w.u8(1); w.u32(0x0203_0405)
            }
        }
        #expect(try store.read { try $0.get(.outbox, [0, 1]) } == [1, 2, 3, 4, 5])
    }

    @Test func aDedupeRecordReadsBackEveryKeyAndFirstCopy() throws {
        let store = MemoryStateStore()
        var index = DedupeIndex()
        let first = DedupeIndex.FirstCopy(fingerprint: 0xBEEF, topic: 1, partition: 2, offset: 77)
        index.insert(SampleKey(high: 1, low: 2), at: EventTime(micros: 10), first: first)
        index.insert(content: SampleKey(high: 3, low: 4), at: EventTime(micros: 20))
        try store.write { try index.persist(into: $0) }
        let record = try #require(try store.read { try $0.get(.dedupe, [0, 0, 0, 0, 0, 0, 0, 1]) })
        var old = ByteWriter()
        old.i64(20); old.u8(2)
        old.u64(1); old.u64(2); old.u64(UInt64(0xBEEF) << 32 | 1 << 16 | 2); old.i64(77)
        old.u64(3); old.u64(4); old.u64(0); old.i64(0)
        #expect(record == old.bytes)
        var restored = DedupeIndex()
        try store.read { try restored.restore(from: $0) }
        #expect(restored.firstCopy(SampleKey(high: 1, low: 2)) == first)
        #expect(restored.contains(SampleKey(high: 3, low: 4)))
    }
}
