import Testing
@testable import TallyCore

@Suite struct AccumulatorEncodingTests {
    let samples: [(Int64, String)] = [(0, "100"), (7, "-180.25"), (13, "20"), (13, "2.5e-1"),
                                      (29, "999999"), (59, "70")]

    @Test(arguments: Aggregation.allCases)
    func roundTripsEveryAggregation(aggregation: Aggregation) throws {
        var acc = folded(aggregation, samples, order: [3, 1, 5, 0, 2, 4])
        acc.seedPrevious(dec("42"), at: minute(-3))
        var bytes: [UInt8] = []
        acc.encode(into: &bytes)
        let decoded = try Accumulator.decode(from: bytes)
        #expect(decoded == acc)
        #expect(decoded.quantity == acc.quantity)
        // Still foldable after decoding, with the same result as without the round trip.
        var a = acc, b = decoded
        a.fold(dec("5"), at: minute(30), key: key(99))
        b.fold(dec("5"), at: minute(30), key: key(99))
        #expect(a.quantity == b.quantity)
    }

    @Test func encodingAppendsAndIsCompact() throws {
        var bytes: [UInt8] = [0xAA]
        folded(.sum, samples).encode(into: &bytes)
        #expect(bytes.first == 0xAA)
        #expect(bytes.count < 40)
        let decoded = try Accumulator.decode(from: Array(bytes.dropFirst()))
        #expect(decoded.quantity == folded(.sum, samples).quantity)
    }

    @Test func emptyAccumulatorsRoundTrip() throws {
        for aggregation in Aggregation.allCases {
            var bytes: [UInt8] = []
            let acc = Accumulator(aggregation: aggregation, window: hourWindow)
            acc.encode(into: &bytes)
            #expect(try Accumulator.decode(from: bytes) == acc)
        }
    }

    /// The stored format, byte for byte: the writer appends words and groups of bytes, and
    /// must write exactly what LEB128 and big-endian keys written a byte at a time give.
    @Test func theWriterWritesWhatAByteAtATimeWriterWrites() {
        func reference(_ value: UInt128) -> [UInt8] {
            var v = value, out: [UInt8] = []
            while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
            out.append(UInt8(truncatingIfNeeded: v))
            return out
        }
        var values: [UInt128] = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, UInt128(UInt64.max) - 1, UInt128(UInt64.max),
                                 UInt128(UInt64.max) + 1, UInt128.max, UInt128(1) << 70]
        var state: UInt64 = 7
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(UInt128(state >> (state % 64)))
            values.append(UInt128(state) << (state % 60))
        }
        var writer = WindowStateWriter(bytes: [0xAA])
        var expected: [UInt8] = [0xAA]
        for (i, v) in values.enumerated() {
            writer.unsigned(v)
            expected += reference(v)
            let key = SampleKey(high: UInt64(truncatingIfNeeded: v &* 31), low: UInt64(truncatingIfNeeded: v >> 3) ^ UInt64(i))
            writer.key(key)
            for shift in stride(from: 56, through: 0, by: -8) { expected.append(UInt8(truncatingIfNeeded: key.high >> UInt64(shift))) }
            for shift in stride(from: 56, through: 0, by: -8) { expected.append(UInt8(truncatingIfNeeded: key.low >> UInt64(shift))) }
        }
        #expect(writer.bytes == expected)
    }

    @Test func rejectsDamagedBytes() throws {
        var bytes: [UInt8] = []
        folded(.increase, samples).encode(into: &bytes)
        #expect(throws: AccumulatorDecodingError.self) { try Accumulator.decode(from: Array(bytes.dropLast())) }
        #expect(throws: AccumulatorDecodingError.self) { try Accumulator.decode(from: bytes + [0]) }
        var badVersion = bytes; badVersion[0] = 9
        #expect(throws: AccumulatorDecodingError.self) { try Accumulator.decode(from: badVersion) }
        var badTag = bytes; badTag[1] = 200
        #expect(throws: AccumulatorDecodingError.self) { try Accumulator.decode(from: badTag) }
        #expect(throws: AccumulatorDecodingError.self) { try Accumulator.decode(from: []) }
    }
}
