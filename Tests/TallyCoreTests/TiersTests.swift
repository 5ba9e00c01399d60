import Testing
@testable import TallyCore

@Suite struct TiersTests {
    let d = RT.d
    var graduated: TierSchedule {
        TierSchedule(mode: .graduated, tiers: [.init(upTo: d("100"), unitPrice: d("0.10")),
                                               .init(upTo: d("1000"), unitPrice: d("0.05"), flatFee: d("2")),
                                               .init(upTo: nil, unitPrice: d("0.01"))])
    }

    @Test func graduatedPricesEachBand() {
        #expect(graduated.tierFunction(d("50")) == d("5"))
        #expect(graduated.tierFunction(d("100")) == d("10"))
        #expect(graduated.tierFunction(d("150")) == d("14.5"))  // 10 + 2 + 50 × 0.05
        #expect(graduated.tierFunction(d("2000")) == d("67"))   // 10 + 2 + 45 + 10
    }

    @Test func volumePricesAllUnitsAtTheReachedTier() {
        var s = graduated
        s.mode = .volume
        #expect(s.tierFunction(d("100")) == d("10"))
        #expect(s.tierFunction(d("150")) == d("9.5"))   // 150 × 0.05 + 2
        #expect(s.tierFunction(d("2000")) == d("20"))
        #expect(s.tierFunction(.zero) == .zero)
    }

    @Test func packageRoundsUpToWholePackages() {
        let s = TierSchedule(mode: .package, packageSize: d("10"), packagePrice: d("3"))
        #expect(s.tierFunction(d("1")) == d("3"))
        #expect(s.tierFunction(d("10")) == d("3"))
        #expect(s.tierFunction(d("10.5")) == d("6"))
    }

    @Test func freeAllowanceAndMinimumCharge() {
        var s = graduated
        s.freeAllowance = d("20")
        s.minimumCharge = d("4")
        // First window: 30 units, 10 billable → 1, topped up to the minimum 4.
        #expect(s.windowPrice(priorQuantity: .zero, priorWindows: 0, quantity: d("30")) == d("4"))
        // Second window: 30 more → cumulative 60, 40 billable → 4; nothing beyond the minimum yet.
        #expect(s.windowPrice(priorQuantity: d("30"), priorWindows: 1, quantity: d("30")) == d("0"))
        // Third: cumulative 100 → 80 billable → 8: pays 4 more.
        #expect(s.windowPrice(priorQuantity: d("60"), priorWindows: 2, quantity: d("40")) == d("4"))
        // A zero-quantity first window still carries the minimum.
        #expect(s.windowPrice(priorQuantity: .zero, priorWindows: 0, quantity: .zero) == d("4"))
    }

    @Test func cyclePricesDependOnStartOrderNotListOrder() {
        let windows = [("3", "200"), ("1", "50"), ("2", "80")].map {
            TierWindow(start: EventTime(micros: Int64($0.0)!), quantity: d($0.1))
        }
        let prices = graduated.prices(cycleWindows: windows)
        #expect(prices.map(\.start.micros) == [1, 2, 3])
        // cumulative 50, 130, 330 → 5, 13.5 (10+2+1.5 −5), 10 (10+2+11.5 −13.5)
        #expect(prices.map(\.price) == [d("5"), d("8.5"), d("10")])
    }

    @Test func revisionsListLaterWindowsWhosePriceChanges() {
        let windows = (1...4).map { TierWindow(start: EventTime(micros: Int64($0)), quantity: d("40")) }
        let revisions = graduated.revisionsAfterChange(cycleWindows: windows, changedWindow: EventTime(micros: 2),
                                                       newQuantity: d("10"))
        // Before: cumulative 40, 80, 120, 160 → C 4, 8, 13, 15 → prices 4, 4, 5, 2.
        // After:  cumulative 40, 50, 90, 130  → C 4, 5, 9, 13.5 → prices 4, 1, 4, 4.5.
        #expect(revisions.map(\.windowStart.micros) == [3, 4])
        #expect(revisions.map(\.oldPrice) == [d("5"), d("2")])
        #expect(revisions.map(\.newPrice) == [d("4"), d("4.5")])
    }

    @Test func calendarMonthCycles() {
        // 2024-02-29T12:00:00Z → cycle starts 2024-02-01T00:00:00Z (1706745600).
        let t = EventTime(micros: 1_709_208_000 * 1_000_000)
        #expect(BillingCycle.calendarMonth().cycleStart(containing: t).micros == 1_706_745_600 * 1_000_000)
        // At UTC+02:00, 2024-02-29T23:00Z is already March 1st locally.
        let late = EventTime(micros: 1_709_247_600 * 1_000_000)
        #expect(BillingCycle.calendarMonth(utcOffsetSeconds: 7200).cycleStart(containing: late).micros
                == (1_709_251_200 - 7200) * 1_000_000)
        let week = BillingCycle.fixed(seconds: 604_800)
        #expect(week.cycleStart(containing: EventTime(micros: 604_800_000_001)).micros == 604_800_000_000)
        #expect(week.cycleStart(containing: EventTime(micros: -1)).micros == -604_800_000_000)
    }

    @Test func tiersModuleUsesPriorUsageFromTheEngine() throws {
        struct Ledger: TierUsageSource {
            func priorUsage(scope: String, service: String, cycleStart: EventTime, before: EventTime) -> TierPriorUsage {
                TierPriorUsage(quantity: RT.d("90"), windows: 3)
            }
        }
        let book = try RT.book(tiers: [TierRule(id: "egress", service: "compute", schedule: graduated)])
        let rater = Rater(book: book)
        let r = rater.rate(RT.input(qty: "20", []), tierUsage: Ledger())
        #expect(r.price == d("3.5"))  // C(110) − C(90) = 12.5 − 9
        #expect(r.explanation.canonicalJSON.contains("\"cumulative_after\":\"12.5\""))
        #expect(rater.rate(RT.input(qty: "20", [])).price == d("2"))  // no ledger: first window
    }
}
