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

    /// The stored format, byte for byte: the writer stores into memory sized by its length
    /// functions, and must write exactly what LEB128 and big-endian keys written a byte at a
    /// time give, filling exactly the length it announced.
    @Test func theWriterWritesWhatAByteAtATimeWriterWrites() {
        var values: [UInt128] = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, UInt128(UInt64.max) - 1, UInt128(UInt64.max),
                                 UInt128(UInt64.max) + 1, UInt128.max, UInt128(1) << 70]
        var state: UInt64 = 7
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(UInt128(state >> (state % 64)))
            values.append(UInt128(state) << (state % 60))
        }
        var expected: [UInt8] = []
        var length = 0
        for (i, v) in values.enumerated() {
            let bytes = ReferenceEncoder.unsigned(v)
            #expect(WindowStateWriter.length(v) == bytes.count, "\(v)")
            expected += bytes
            let key = SampleKey(high: UInt64(truncatingIfNeeded: v &* 31), low: UInt64(truncatingIfNeeded: v >> 3) ^ UInt64(i))
            expected += ReferenceEncoder.key(key)
            length += WindowStateWriter.length(v) + 16
        }
        var out = [UInt8](repeating: 0xEE, count: length)
        out.withUnsafeMutableBytes { buffer in
            var writer = WindowStateWriter(buffer)
            for (i, v) in values.enumerated() {
                writer.unsigned(v)
                writer.key(SampleKey(high: UInt64(truncatingIfNeeded: v &* 31), low: UInt64(truncatingIfNeeded: v >> 3) ^ UInt64(i)))
            }
            #expect(writer.isFull)
        }
        #expect(out == expected)
    }

    /// Random accumulators of every aggregation (values of up to 38 digits, any exponent,
    /// points out of order, a previous point or none): `encodedCount` is the length of the
    /// form written a byte at a time (the encoder the in-place writer replaced), the writer
    /// writes those bytes, appended or in place, and they read back.
    @Test func randomAccumulatorsEncodeAsWrittenAByteAtATime() throws {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        func value() -> ExactDecimal {
            let digits = Int(next() % 39)
            var c: Int128 = 0
            for _ in 0..<digits { c = c * 10 + Int128(next() % 10) }
            if next() % 3 == 0 { c = -c }
            return ExactDecimal(coefficient: c, exponent: Int32(Int64(next() % 41) - 20))
        }
        for round in 0..<600 {
            let aggregation = Aggregation.allCases[round % Aggregation.allCases.count]
            let start = Int64(next() % 1_000_000) * 3_600_000_000 - 500 * 3_600_000_000
            let window = WindowBounds(start: EventTime(micros: start), end: EventTime(micros: start + 3_600_000_000))
            var acc = Accumulator(aggregation: aggregation, window: window)
            if next() % 2 == 0 { acc.seedPrevious(value(), at: EventTime(micros: start - Int64(next() % 7_200_000_000))) }
            for _ in 0..<Int(next() % 40) {
                acc.fold(value(), at: EventTime(micros: start + Int64(next() % 3_600_000_000)),
                         key: SampleKey(high: next() << 11 | next(), low: next()))
            }
            let expected = ReferenceEncoder.encode(acc)
            #expect(acc.encodedCount == expected.count, "\(aggregation)")
            var appended: [UInt8] = [0xAA]
            acc.encode(into: &appended)
            #expect(appended == [0xAA] + expected, "\(aggregation)")
            var inPlace = [UInt8](repeating: 0xEE, count: acc.encodedCount)
            inPlace.withUnsafeMutableBytes { acc.encode(into: $0) }
            #expect(inPlace == expected, "\(aggregation)")
            #expect(try Accumulator.decode(from: inPlace) == acc)
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

/// The accumulator's form written a byte at a time, as the array encoder before the in-place
/// writer wrote it: the reference the writer is held to.
enum ReferenceEncoder {
    static func unsigned(_ value: UInt128) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        out.append(UInt8(truncatingIfNeeded: v))
        return out
    }
    static func signed(_ value: Int64) -> [UInt8] { unsigned(UInt128(UInt64(bitPattern: (value << 1) ^ (value >> 63)))) }
    static func decimal(_ value: ExactDecimal) -> [UInt8] {
        let c = value.coefficient
        return unsigned(UInt128(bitPattern: (c << 1) ^ (c >> 127))) + signed(Int64(value.exponent))
    }
    static func key(_ key: SampleKey) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: key.high >> UInt64($0)) }
            + stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: key.low >> UInt64($0)) }
    }

    static func encode(_ acc: Accumulator) -> [UInt8] {
        var out: [UInt8] = [Accumulator.encodingVersion, acc.aggregation.rawValue]
        let start = acc.window.start.micros
        out += signed(start) + signed(acc.window.end.micros - start) + signed(acc.sampleCount)
        func point(_ p: SamplePoint) -> [UInt8] { signed(p.time.micros - start) + key(p.key) + decimal(p.value) }
        switch acc.state {
        case .total(let total): out += decimal(total)
        case .extremum(let value): out += [value == nil ? 0 : 1] + (value.map(decimal) ?? [])
        case .last(let p): out += [p == nil ? 0 : 1] + (p.map(point) ?? [])
        case .distinct(let values):
            out += [values.saturated ? 1 : 0] + signed(Int64(values.fingerprints.count))
            var before: UInt64 = 0
            for f in values.fingerprints { out += unsigned(UInt128(f - before)); before = f }
        case .series(let series):
            out += [series.previous == nil ? 0 : 1] + (series.previous.map(point) ?? [])
            out += signed(Int64(series.points.count))
            for p in series.points { out += point(p) }
        }
        return out
    }
}
