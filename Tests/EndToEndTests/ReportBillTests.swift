import Foundation
import TallyAudit
import Testing
import TallyCore

/// Issue 9 item 11: bills sum exactly (order cannot change a digit), round once for
/// display to the currency's minor unit, accept dates and months, refuse an unknown
/// scope, and say how complete the period is.
@Suite struct ExactSumTests {
    static let terms: [ExactDecimal] = (1...400).map { i in
        // 28 significant digits at varying scales, both signs: what 28-digit rounding loses.
        let digits = String(repeating: String(i % 9 + 1), count: 27) + String(i % 10)
        let scale = i % 7 + 10
        let text = String(digits.prefix(28 - scale)) + "." + String(digits.suffix(scale))
        return ExactDecimal((i % 5 == 0 ? "-" : "") + text)!
    }

    @Test func theSumDoesNotDependOnTheOrder() {
        var rng = SystemRandomNumberGenerator()
        let reference = ExactSum.of(Self.terms).canonicalText
        for _ in 0..<5 { #expect(ExactSum.of(Self.terms.shuffled(using: &rng)).canonicalText == reference) }
        // The old way (ExactDecimal's 28-digit addition) differs between orders: the defect.
        let forward = Self.terms.reduce(ExactDecimal.zero, +), backward = Self.terms.reversed().reduce(ExactDecimal.zero, +)
        #expect(forward != backward || forward.canonicalText != reference)
        // An independent exact sum (Foundation's 38-digit Decimal, enough here) agrees.
        let decimal = Self.terms.reduce(Decimal(0)) { $0 + Decimal(string: $1.canonicalText)! }
        #expect(Decimal(string: reference) == decimal, "\(reference) vs \(decimal)")
    }

    @Test func roundingForDisplayIsHalfAwayFromZeroAtTheMinorUnit() {
        func r(_ text: String, _ places: Int) -> String { ExactSum.of([ExactDecimal(text)!]).rounded(toDecimals: places) }
        #expect(r("1.005", 2) == "1.01")
        #expect(r("-1.005", 2) == "-1.01")
        #expect(r("1.0049999999999999999999", 2) == "1.00")
        #expect(r("-0.004", 2) == "0.00")
        #expect(r("999.995", 2) == "1000.00")
        #expect(r("12.5", 0) == "13")
        #expect(r("7", 3) == "7.000")
        #expect(r("0.0000001", 2) == "0.00")
        #expect(ExactSum.of([ExactDecimal("0.1")!, ExactDecimal("0.2")!]).canonicalText == "0.3")
        #expect(ExactSum().canonicalText == "0")
        #expect(CurrencyMinorUnits.decimals(for: "EUR") == 2 && CurrencyMinorUnits.decimals(for: "JPY") == 0)
        #expect(CurrencyMinorUnits.decimals(for: "KWD") == 3 && CurrencyMinorUnits.decimals(for: "EUR", override: 4) == 4)
    }

    @Test func datesAndMonthsAreLocalMidnights() throws {
        let paris = try #require(ZoneRules(identifier: "Europe/Paris"))
        #expect(Timestamps.iso8601(try ReportPeriod.bound("2026-11", zone: paris)) == "2026-10-31T23:00:00Z")
        #expect(Timestamps.iso8601(try ReportPeriod.bound("2026-07-01", zone: paris)) == "2026-06-30T22:00:00Z")
        #expect(Timestamps.iso8601(try ReportPeriod.bound("2026-11-01", zone: .utc)) == "2026-11-01T00:00:00Z")
        #expect(Timestamps.iso8601(try ReportPeriod.bound("2026-11-01T05:00:00Z", zone: paris)) == "2026-11-01T05:00:00Z")
        #expect(throws: (any Error).self) { try ReportPeriod.bound("2026-13", zone: .utc) }
    }
}

@Suite(.serialized) struct ReportBillTests {
    @Test func reportRoundsForDisplayKeepsExactJSONAndSaysHowCompleteItIs() throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 41)
        let config = fixture.configPath
        let day = String(Timestamps.iso8601(start).prefix(10))
        // stdout apart from stderr, which names the source of the frames (here the topic: no index).
        let unknown = try ReportTraceTests.tally(["report", "--config", config, "--from", day, "--to", "2099-01", "--scope", "nobody"])
        #expect(unknown.status != 0 && unknown.err.contains("unknown scope 'nobody'"), "\(unknown.err)")

        // From a plain date to a month far ahead: the period is not complete.
        let table = try ReportTraceTests.tally(["report", "--config", config, "--from", day, "--to", "2099-01"])
        #expect(table.status == 0, "\(table.err)")
        #expect(table.out.contains("not complete"), "\(table.out)")
        #expect(table.err.contains("tally report: frames from the topic tally.frames (no frame index at"), "\(table.err)")
        let json = try ReportTraceTests.tally(["report", "--config", config, "--from", day, "--to", "2099-01", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(object["complete"] as? Bool == false)
        let frames = try fixture.frames()
        let exact = ExactSum.of(frames.latest.values.map(\.price))
        let total = try #require((object["totals"] as? [[String: Any]])?.first)
        #expect(total["price"] as? String == exact.canonicalText)
        #expect(total["price_rounded"] as? String == exact.rounded(toDecimals: 2))
        #expect(table.out.contains("\(exact.rounded(toDecimals: 2)) EUR"), "\(table.out)")
        // Every row's displayed price has exactly two decimals (EUR's minor unit).
        for row in object["rows"] as? [[String: Any]] ?? [] {
            let rounded = try #require(row["price_rounded"] as? String)
            #expect(rounded.split(separator: ".").last?.count == 2, "\(row)")
        }

        // A period that has fully closed is complete.
        let closed = try ReportTraceTests.tally(["report", "--config", config, "--from", Timestamps.iso8601(start),
                                                 "--to", Timestamps.iso8601(start + TimeSpan.hours(2)), "--format", "json"])
        let closedObject = try #require(try JSONSerialization.jsonObject(with: Data(closed.out.utf8)) as? [String: Any])
        #expect(closedObject["complete"] as? Bool == true, "\(closed.out)")
    }
}
