import Testing
import TallyCore
@testable import TallyEngine

/// The durable window record (the LMDB `windows` table's values) keeps its byte layout:
/// big-endian integers, signed ones offset so byte order is numeric order, lineage topics
/// by name, and the accumulator's bytes behind their length, which the encoder writes
/// after the accumulator in place.
@Suite struct WindowRecordEncodingTests {
    @Test func integersAreBigEndianAndSignedOnesOffset() {
        var w = ByteWriter()
        w.u32(0x0102_0304); w.u64(0x0506_0708_090A_0B0C); w.i64(-1); w.i32(1)
        w.u32(0); w.patchU32(at: w.bytes.count - 4, 0xA1B2_C3D4)
        #expect(w.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                            0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0, 1,
                            0xA1, 0xB2, 0xC3, 0xD4])
    }

    static func window() -> WindowState {
        let start = EventTime(micros: 1_780_000_000_000_000)
        let bounds = WindowBounds(start: start, end: EventTime(micros: start.micros + 3_600_000_000))
        var accumulator = Accumulator(aggregation: .sum, window: bounds)
        accumulator.fold(ExactDecimal(coefficient: 125, exponent: -2), at: start, key: SampleKey(high: 1, low: 2))
        accumulator.fold(ExactDecimal(coefficient: 3, exponent: 0), at: start, key: SampleKey(high: 3, low: 4))
        var window = WindowState(key: WindowKey(start: start, metric: Symbol(raw: 1), scope: Symbol(raw: 2),
                                                resource: Symbol(raw: 3), group: Symbol(raw: 4)),
                                 metric: 0, bounds: bounds, accumulator: accumulator,
                                 groupValues: [MetaValue(kind: .string, text: Symbol(raw: 5))],
                                 metadata: [MetaValue(kind: .int, text: Symbol(raw: 6)), .absent])
        window.project = Symbol(raw: 7)
        window.note(topic: 1, partition: 2, offset: 40)
        window.note(topic: 0, partition: 0, offset: 9)
        window.note(topic: 1, partition: 2, offset: 41)
        window.revision = 3
        window.lastPrice = ExactDecimal(coefficient: -4_250, exponent: -3)
        window.lastTierUsage = TierUsageMark(value: 0xFEED)
        window.closed = true
        return window
    }

    @Test func aRecordReadsBackAndEndsWithTheAccumulatorBehindItsLength() throws {
        let window = WindowRecordEncodingTests.window()
        let topics = ["usage", "usage#ceilometer"]
        let bytes = window.encoded(topics: topics.map { Array($0.utf8) })

        var accumulator: [UInt8] = []
        window.accumulator.encode(into: &accumulator)
        var tail = ByteWriter(); tail.bytes(accumulator)
        #expect(Array(bytes.suffix(tail.bytes.count)) == tail.bytes)
        // The lineage names its topics, in (topic, partition) order.
        var lineage = ByteWriter()
        lineage.u32(2)
        lineage.string("usage"); lineage.i32(0); lineage.i64(9); lineage.i64(9); lineage.i64(1)
        lineage.string("usage#ceilometer"); lineage.i32(2); lineage.i64(40); lineage.i64(41); lineage.i64(2)
        #expect(bytes.count > lineage.bytes.count)
        #expect(contains(bytes, lineage.bytes))

        let read = try bytes.withUnsafeBytes { raw in
            try WindowState(key: window.key, metric: 0, decoding: raw) { topics.firstIndex(of: $0).map(UInt16.init) ?? 99 }
        }
        #expect(read.bounds == window.bounds)
        #expect(read.project == window.project && read.user == window.user)
        #expect(read.groupValues == window.groupValues && read.metadata == window.metadata)
        #expect(read.lineage == window.lineage)
        #expect(read.digest == window.digest)
        #expect(read.revision == 3 && read.lastPrice == window.lastPrice && read.lastTierUsage == window.lastTierUsage)
        #expect(read.closed)
        #expect(read.accumulator.quantity == window.accumulator.quantity)
        #expect(read.accumulator.sampleCount == 2)
        #expect(read.encoded(topics: topics.map { Array($0.utf8) }) == bytes)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
