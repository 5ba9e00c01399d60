import Testing
import TallyCore
import TallyEngine

/// The spine prices tiers on the cycle's cumulative usage: the shares of the
/// windows add up to the tiered price of the total, and a late change to an
/// earlier window revises the later windows whose price it changes.
@Suite struct TieredPricingTests {
    typealias H = EngineHarness

    // cpu_hours: 10 units at 1 each, then 0.5 each.
    static let rules = """
    version: 1
    modules:
      hashmap: {enabled: false, priority: 3}
      tiers: {enabled: true, priority: 2}
    tiers:
      - id: cpu-graduated
        service: cpu_hours
        mode: graduated
        cycle: month
        tiers:
          - {up_to: 10, unit_price: 1}
          - {unit_price: 0.5}
    """

    static func prices(_ h: EngineHarness) -> [String: (revision: Int, price: ExactDecimal)] {
        var latest: [String: (revision: Int, price: ExactDecimal)] = [:]
        for f in h.frames() {
            let id = f["frame_id"] as! String, rev = f["revision"] as! Int
            if (latest[id]?.revision ?? 0) < rev { latest[id] = (rev, ExactDecimal(f["price"] as! String)!) }
        }
        return latest
    }

    @Test func windowSharesAddUpToTheTieredPriceOfTheCycle() throws {
        let h = try EngineHarness(rules: TieredPricingTests.rules)
        try h.feed([H.sample(id: "a", volume: "6", at: "2026-11-02T00:10:00Z", resource: "r1"),
                    H.sample(id: "b", volume: "6", at: "2026-11-02T00:20:00Z", resource: "r2"),
                    H.sample(id: "c", volume: "4", at: "2026-11-02T01:10:00Z", resource: "r1")], endOfInput: true)
        let latest = TieredPricingTests.prices(h)
        #expect(latest.count == 3)
        // 16 units: 10 × 1 + 6 × 0.5 = 13, whatever the split between windows.
        #expect(latest.values.reduce(ExactDecimal.zero) { $0 + $1.price } == ExactDecimal(13))
    }

    @Test func aLateChangeToAnEarlierWindowRevisesTheLaterOnes() throws {
        let h = try EngineHarness(rules: TieredPricingTests.rules)
        try h.feed([H.sample(id: "a", volume: "8", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "b", volume: "8", at: "2026-11-02T01:10:00Z"),
                    H.sample(id: "c", volume: "1", at: "2026-11-02T02:30:00Z")])
        var latest = TieredPricingTests.prices(h)
        #expect(latest.values.map(\.price).sorted() == [ExactDecimal(5), ExactDecimal(8)])  // 8, then 2 + 6 × 0.5
        // A late 4 units in hour 0: hour 0 becomes 12 (10 + 1) and hour 1 becomes 8 × 0.5.
        try h.feed([H.sample(id: "late", volume: "4", at: "2026-11-02T00:40:00Z")])
        latest = TieredPricingTests.prices(h)
        let byRevision = latest.values.sorted { $0.price > $1.price }
        #expect(byRevision.map(\.price) == [ExactDecimal(11), ExactDecimal(4)])
        #expect(byRevision.map(\.revision) == [2, 2])
        #expect(latest.values.reduce(ExactDecimal.zero) { $0 + $1.price } == ExactDecimal(15))  // 20 units: 10 + 10 × 0.5
    }
}
