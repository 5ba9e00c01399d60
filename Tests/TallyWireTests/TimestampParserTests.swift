import Foundation
import Testing
import TallyCore
@testable import TallyWire

@Suite struct TimestampParserTests {
    /// Reference values from Foundation's calendar, independent of the hand parser.
    static func reference(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0,
                          micros: Int64 = 0, offsetSeconds: Int = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let date = calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
        return (Int64(date.timeIntervalSince1970) - Int64(offsetSeconds)) * 1_000_000 + micros
    }

    @Test(arguments: [
        ("2026-11-02T00:01:16.046321", reference(2026, 11, 2, 0, 1, 16, micros: 46321)),
        ("2026-11-02T03:42:05", reference(2026, 11, 2, 3, 42, 5)),
        ("2026-11-02 03:42:05.047924", reference(2026, 11, 2, 3, 42, 5, micros: 47924)),
        ("2026-11-02T00:51:53.566695+00:00", reference(2026, 11, 2, 0, 51, 53, micros: 566_695)),
        ("2026-11-02T00:00:00Z", reference(2026, 11, 2)),
        ("2026-11-02t00:00:00z", reference(2026, 11, 2)),
        ("2026-11-02T10:00:00-05:30", reference(2026, 11, 2, 10, offsetSeconds: -19800)),
        ("2026-11-02T10:00:00+0200", reference(2026, 11, 2, 10, offsetSeconds: 7200)),
        ("2026-11-02T10:00:00+02", reference(2026, 11, 2, 10, offsetSeconds: 7200)),
        ("2026-11-02T00:00:00.5", reference(2026, 11, 2, micros: 500_000)),
        ("2026-11-02T00:00:00.123456789", reference(2026, 11, 2, micros: 123_456)),
        ("2024-02-29T23:59:59.999999Z", reference(2024, 2, 29, 23, 59, 59, micros: 999_999)),
        ("2000-02-29T00:00:00Z", reference(2000, 2, 29)),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5Z", -500_000),
        // Proleptic Gregorian, as ISO 8601 and Python use (Foundation switches to Julian before 1582).
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59Z", reference(9999, 12, 31, 23, 59, 59)),
    ])
    func parses(text: String, micros: Int64) throws {
        #expect(try TimestampParser.parse(text).micros == micros)
    }

    @Test(arguments: [
        ("2026-13-01T00:00:00", TimestampProblem.monthOutOfRange(13)),
        ("2026-00-01T00:00:00", .monthOutOfRange(0)),
        ("2026-02-30T00:00:00", .dayOutOfRange(day: 30, month: 2, year: 2026)),
        ("2025-02-29T00:00:00", .dayOutOfRange(day: 29, month: 2, year: 2025)),
        ("1900-02-29T00:00:00", .dayOutOfRange(day: 29, month: 2, year: 1900)),
        ("2026-04-31T00:00:00", .dayOutOfRange(day: 31, month: 4, year: 2026)),
        ("2026-11-02T25:00:00", .hourOutOfRange(25)),
        ("2026-11-02T24:00:00", .hourOutOfRange(24)),
        ("2026-11-02T00:60:00", .minuteOutOfRange(60)),
        ("2026-11-02T00:00:60", .secondOutOfRange(60)),
        ("2026-11-02T00:00:00+24:00", .offsetOutOfRange(hours: 24, minutes: 0)),
    ])
    func rejectsImpossibleDates(text: String, problem: TimestampProblem) {
        #expect(throws: problem) { try TimestampParser.parse(text) }
    }

    @Test(arguments: ["", "2026", "2026-11-02", "2026-11-02T", "2026-11-02T00:00", "2026-11-02X00:00:00",
                      "2026-11-02T00:00:00.", "2026-11-02T00:00:00.1234567890", "2026-11-02T00:00:00 UTC",
                      "2026-11-02T00:00:00+5", "26-11-02T00:00:00", "2026-1-02T00:00:00", "0000-01-01T00:00:00",
                      "2026-11-02T00:00:00Z ", " 2026-11-02T00:00:00"])
    func rejectsMalformedText(text: String) {
        #expect(throws: TimestampProblem.self) { try TimestampParser.parse(text) }
    }

    @Test func problemsReadWell() {
        #expect(TimestampProblem.monthOutOfRange(13).description == "month 13 is not 1–12")
        #expect(TimestampProblem.dayOutOfRange(day: 30, month: 2, year: 2026).description == "day 30 does not exist in 2026-02")
        #expect("\(TimestampProblem.syntax(offset: 10, expected: "'T' or a space between date and time"))"
            == "expected 'T' or a space between date and time at character 10")
    }
}
