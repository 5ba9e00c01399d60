import PropertyBased
import Testing
@testable import TallyCore

/// The frame writer's fast renderers against the plain ones they replace: timestamps from
/// a cached date and digit pairs against `Timestamps.iso8601`, hex from a pair table
/// against `String(_:radix:)`. A digit pair out of place, a stale cached date or a wrong
/// floor for times before 1970 would change frame bytes, and with them every hash.
@Suite struct FrameRenderingTests {
    static let firstYear = CivilCalendar.dayNumber(year: 0, month: 1, day: 1) * 86_400_000_000
    static let afterLastYear = CivilCalendar.dayNumber(year: 10_000, month: 1, day: 1) * 86_400_000_000

    /// What the writer must write for `t`: the reference text in quotes.
    static func expected(_ times: [Int64]) -> [UInt8] {
        times.flatMap { Array(("\"" + Timestamps.iso8601(EventTime(micros: $0)) + "\"").utf8) }
    }

    /// The writer's bytes for `times`, written one after another into one writer (the
    /// cached date carries over from each to the next, as in a frame and between frames).
    static func written(_ times: [Int64]) -> [UInt8] {
        var w = CanonicalWriter(capacity: 64)
        for t in times { w.timestamp(EventTime(micros: t)) }
        return w.bytes
    }

    @Test func timestampsAnywhereInYears0To9999() async {
        await propertyCheck(count: 400, input: Gen.int64(in: Self.firstYear...(Self.afterLastYear - 1)).array(of: 1...6)) { times in
            #expect(Self.written(times) == Self.expected(times))
        }
    }

    /// Around the first day of a year and the end of February, leap years (2000, 2024)
    /// and century years that are not (1900, 2100) included: a day or two either side,
    /// any second of the day, microseconds half of the time.
    @Test func timestampsAroundYearEndsAndLeapDays() async {
        let gen = zip(Gen.int64(in: 0...9_999), Gen.bool(), Gen.int64(in: -2 * 86_400...2 * 86_400 - 1),
                      Gen.int64(in: 0...999_999), Gen.bool())
        await propertyCheck(count: 400, input: gen.array(of: 1...4)) { cases in
            let times = cases.flatMap { year, february, second, micros, whole -> [Int64] in
                let day = february ? CivilCalendar.dayNumber(year: year, month: 3, day: 1)
                                   : CivilCalendar.dayNumber(year: year, month: 1, day: 1)
                let t = (day * 86_400 + second) * 1_000_000 + (whole ? 0 : micros)
                return [t, t + 3_600_000_000]  // a window's start and end, mostly the same day
            }.filter { $0 >= Self.firstYear && $0 < Self.afterLastYear }
            #expect(Self.written(times) == Self.expected(times))
        }
        for year: Int64 in [1900, 2000, 2024, 2100, 1969, 1970, 0, 9999] {
            let day = CivilCalendar.dayNumber(year: year, month: 3, day: 1)
            let times = [day * 86_400_000_000 - 1, day * 86_400_000_000, (day - 1) * 86_400_000_000 - 1]
            #expect(Self.written(times) == Self.expected(times), "year \(year)")
        }
    }

    /// Before 1970 (negative microseconds, floored) and outside years 0–9999 (the general
    /// path), mixed with ordinary times so the cached date must be replaced each time.
    @Test func timestampsBefore1970AndOutsideTheFourDigitYears() async {
        let gen = Gen.int64(in: -400_000_000_000_000_000...400_000_000_000_000_000)
        await propertyCheck(count: 300, input: zip(gen, Gen.int64(in: -86_400_000_000...86_400_000_000)).array(of: 1...5)) { pairs in
            let times = pairs.flatMap { [$0.0, $0.1, $0.0 + 1] }
            #expect(Self.written(times) == Self.expected(times))
        }
    }

    @Test func hexFromThePairTableEqualsRadix16() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...255).array(of: 0...48)) { values in
            let bytes = values.map(UInt8.init)
            let reference = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(Hex.encode(bytes) == reference)
        }
        #expect(Hex.encode(Array(0...255)) == (0...255).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
    }

    /// Decimals as frames and explanations write them (digit pairs in place, or the
    /// general path) against `canonicalText`: coefficients of every size up to 38 digits,
    /// exponents either side of the fast path's −30…0, trailing zeros to strip.
    @Test func decimalsWriteTheirCanonicalText() async {
        let gen = zip(Gen.int64(in: .min ... .max), Gen.int(in: 0...3), Gen.int(in: 0...6), Gen.int32(in: -40...6))
        await propertyCheck(count: 500, input: gen.array(of: 1...6)) { cases in
            let values = cases.map { word, width, zeros, exponent -> ExactDecimal in
                var c = Int128(word)
                if width == 0 { c >>= 40 } else if width == 1 { c >>= 20 }           // short coefficients
                else if width == 3 { c = c * 1_000_000_000_000_000_000 + Int128(word / 7) }  // wider than 64 bits
                for _ in 0..<zeros where c.magnitude < UInt128(1) << 100 { c *= 10 }
                return ExactDecimal(coefficient: c, exponent: exponent)
            }
            var w = CanonicalWriter(capacity: 64)
            for v in values { w.explanationDecimal(v); w.literalByte(UInt8(ascii: ",")); w.decimal(v) }
            let expected = values.map { $0.canonicalText + ",\"" + $0.canonicalText + "\"" }.joined()
            #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
        }
    }

    @Test func integersAsDigitPairs() async {
        await propertyCheck(count: 300, input: Gen.int64(in: .min ... .max).array(of: 1...8)) { values in
            var w = CanonicalWriter(capacity: 64)
            let all = values + [0, 9, 10, 99, 100, -1, .min, .max]
            for v in all { w.integer(v); w.literalByte(UInt8(ascii: ",")) }
            #expect(String(decoding: w.bytes, as: UTF8.self) == all.map { "\($0)," }.joined())
        }
    }

    /// The word-at-a-time check against the byte rule, on texts of every length up to 40
    /// made mostly of ordinary letters with the odd quote, backslash, control or high byte.
    @Test func plainTextCheckEqualsTheByteRule() async {
        let special: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xFF]
        let byte = Gen.int(in: 0...40).map { $0 < special.count ? special[$0] : UInt8(ascii: "a") + UInt8($0 % 26) }
        await propertyCheck(count: 1_000, input: byte.array(of: 0...40)) { bytes in
            bytes.withUnsafeBytes { raw in
                let escapes = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
                let high = bytes.contains { $0 >= 0x80 }
                #expect(PlainText.isPlain(raw, asciiOnly: false) == !escapes)
                #expect(PlainText.isPlain(raw, asciiOnly: true) == !(escapes || high))
                #expect(PlainText.isASCII(raw) == !high)
            }
        }
    }
}
