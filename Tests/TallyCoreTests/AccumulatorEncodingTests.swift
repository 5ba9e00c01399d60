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
