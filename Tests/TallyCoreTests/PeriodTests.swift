import Foundation
import Testing
@testable import TallyCore

/// Builds an instant from a UTC date-time, with Foundation, for test readability only.
func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> EventTime {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
    return EventTime(micros: Int64(date.timeIntervalSince1970) * 1_000_000)
}

let paris = ZoneRules(identifier: "Europe/Paris")!
let newYork = ZoneRules(identifier: "America/New_York")!

@Suite struct PeriodTests {
    @Test func fixedPeriodsAlignToEpochMultiples() {
        let hour = Period.parse("PT1H", zone: .utc)!
        let t = utc(2026, 11, 2, 3, 42, 5)
        #expect(hour.windowStart(containing: t) == utc(2026, 11, 2, 3))
        #expect(hour.windowEnd(startingAt: utc(2026, 11, 2, 3)) == utc(2026, 11, 2, 4))
        let fifteen = Period.parse("PT15M", zone: .utc)!
        #expect(fifteen.window(containing: t) == WindowBounds(start: utc(2026, 11, 2, 3, 30), end: utc(2026, 11, 2, 3, 45)))
        // The end is exclusive: an instant on a boundary starts the next window.
        #expect(hour.windowStart(containing: utc(2026, 11, 2, 4)) == utc(2026, 11, 2, 4))
        // Before 1970 floor division still rounds down.
        #expect(hour.windowStart(containing: EventTime(micros: -1)) == EventTime(micros: -3_600_000_000))
    }

    @Test func fixedPeriodsMustDivideADay() {
        #expect(Period.parse("PT7M", zone: .utc) == nil)
        #expect(Period.parse("PT30S", zone: .utc) == nil)
        #expect(Period.parse("P2D", zone: .utc) == nil)
        #expect(Period.parse("P1Y", zone: .utc) == nil)
        #expect(Period.parse("PT50M", zone: .utc) == nil)  // 1440 / 50 is not whole
        #expect(Period.parse("PT90M", zone: .utc)?.kind == .fixed(.minutes(90)))
        #expect(Period.parse("PT6H", zone: .utc)?.description == "PT6H")
        #expect(Period.parse("PT24H", zone: .utc)?.kind == .fixed(.hours(24)))
    }

    @Test func utcDaysAndMonths() {
        let day = Period.day(in: .utc), month = Period.month(in: .utc)
        #expect(day.window(containing: utc(2026, 3, 29, 23, 59)) == WindowBounds(start: utc(2026, 3, 29), end: utc(2026, 3, 30)))
        #expect(month.window(containing: utc(2026, 12, 31, 23)) == WindowBounds(start: utc(2026, 12, 1), end: utc(2027, 1, 1)))
    }

    @Test func monthLengthsAndLeapYears() {
        let month = Period.month(in: .utc)
        let expected: [(Int, Int, Int)] = [(2024, 2, 29), (2025, 2, 28), (2000, 2, 29), (2100, 2, 28), (2026, 4, 30), (2026, 1, 31)]
        for (year, m, days) in expected {
            let window = month.window(containing: utc(year, m, 15))
            #expect(window.length == .days(Int64(days)), "\(year)-\(m)")
        }
    }

    @Test func parisDaysAcrossBothDSTChanges() {
        let day = Period.day(in: paris)
        // 2026-03-29: clocks go 02:00 → 03:00 CET→CEST; the day is 23 hours.
        let spring = day.window(containing: utc(2026, 3, 29, 12))
        #expect(spring.start == utc(2026, 3, 28, 23))   // local midnight, UTC+1
        #expect(spring.end == utc(2026, 3, 29, 22))     // next local midnight, UTC+2
        #expect(spring.length == .hours(23))
        // 2026-10-25: clocks go 03:00 → 02:00; the day is 25 hours.
        let autumn = day.window(containing: utc(2026, 10, 25, 1, 30))
        #expect(autumn.start == utc(2026, 10, 24, 22))
        #expect(autumn.length == .hours(25))
        // Both occurrences of local 02:30 fall in that same day.
        #expect(day.windowStart(containing: utc(2026, 10, 25, 0, 30)) == autumn.start)
        #expect(day.windowStart(containing: utc(2026, 10, 25, 1, 30)) == autumn.start)
    }

    @Test func newYorkDaysAcrossBothDSTChanges() {
        let day = Period.day(in: newYork)
        #expect(day.window(containing: utc(2026, 3, 8, 12)).length == .hours(23))
        #expect(day.window(containing: utc(2026, 11, 1, 12)).length == .hours(25))
        #expect(day.windowStart(containing: utc(2026, 11, 1, 12)) == utc(2026, 11, 1, 4))  // EDT midnight
        #expect(day.window(containing: utc(2026, 7, 1, 12)).length == .hours(24))
    }

    @Test func parisMonthsStartAtLocalMidnight() {
        let month = Period.month(in: paris)
        let march = month.window(containing: utc(2026, 3, 15))
        #expect(march.start == utc(2026, 2, 28, 23))        // 1 March 00:00 CET
        #expect(march.end == utc(2026, 3, 31, 22))          // 1 April 00:00 CEST
        #expect(march.length == TimeSpan.days(31) - TimeSpan.hours(1))
        let october = month.window(containing: utc(2026, 10, 31, 22, 30))  // 23:30 local on 31 Oct
        #expect(october.length == TimeSpan.days(31) + TimeSpan.hours(1))
        // A quarter past midnight on 1 November, local, is already November.
        #expect(month.windowStart(containing: utc(2026, 10, 31, 23, 15)) == utc(2026, 10, 31, 23))
    }

    /// Cross-check against Foundation's Calendar over years of days in several zones,
    /// including one whose DST change happens at midnight (America/Santiago, America/Havana).
    @Test(arguments: ["Europe/Paris", "America/New_York", "America/Santiago", "America/Havana", "Asia/Kolkata", "Australia/Lord_Howe"])
    func dayStartsMatchFoundation(zoneName: String) {
        let rules = ZoneRules(identifier: zoneName)!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zoneName)!
        var t = utc(2023, 1, 1, 7, 13)
        let end = utc(2027, 1, 1)
        while t < end {
            let date = Date(timeIntervalSince1970: TimeInterval(t.micros / 1_000_000))
            let expected = Int64(calendar.startOfDay(for: date).timeIntervalSince1970) * 1_000_000
            #expect(rules.dayStart(containing: t).micros == expected, "\(zoneName) at \(date)")
            t = t + .hours(17)
        }
    }

    @Test func unknownZoneIsRejected() {
        #expect(ZoneRules(identifier: "Mars/Olympus_Mons") == nil)
    }
}

@Suite struct ISODurationTests {
    @Test func parsesDurations() {
        #expect(ISODuration("PT15M")?.fixedSpan == .minutes(15))
        #expect(ISODuration("P7D")?.fixedSpan == .days(7))
        #expect(ISODuration("P1DT2H30M")?.fixedSpan == TimeSpan.days(1) + TimeSpan.hours(2) + TimeSpan.minutes(30))
        #expect(ISODuration("PT1.5S")?.fixedSpan == TimeSpan(micros: 1_500_000))
        #expect(ISODuration("P2W")?.fixedSpan == .days(14))
        #expect(ISODuration("P1M")?.months == 1)
        #expect(ISODuration("P1M")?.fixedSpan == nil)
        for bad in ["", "P", "PT", "1H", "PT1D", "P1H", "PTM", "P1.5D", "PT1H-", "pt1h"] {
            #expect(ISODuration(bad) == nil, "\(bad)")
        }
    }

    @Test func spansPrintAsISO() {
        #expect(TimeSpan.minutes(90).description == "PT1H30M")
        #expect(TimeSpan.days(7).description == "P7D")
        #expect(TimeSpan.zero.description == "PT0S")
    }
}

extension TimeSpan {
    static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(micros: a.micros + b.micros) }
    static func - (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(micros: a.micros - b.micros) }
}
