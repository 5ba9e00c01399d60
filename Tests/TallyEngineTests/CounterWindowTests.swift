import Testing
import TallyCore
import TallyEngine
import TallySeededRandom

/// Issue 15 and issue 9 item 10: counter (increase) windows under late data, across
/// outages and restarts; issue 15 item 2 and issue 14 item 5: what must not be billed.
@Suite struct CounterWindowTests {
    typealias H = EngineHarness

    // bytes_out on a graduated tier whose first 1000 units are free: prices stay 0 while
    // quantities move, which is what hid a stale quantity (issue 15 item 1).
    static let freeTier = """
    version: 1
    modules:
      hashmap: {enabled: false, priority: 3}
      tiers: {enabled: true, priority: 2}
    tiers:
      - id: egress-free
        service: bytes_out
        mode: graduated
        cycle: month
        free: 1000
        tiers:
          - {unit_price: 1}
    """

    static func counter(_ id: String, _ volume: Int, _ time: String, resource: String = "r1") -> String {
        H.sample(id: id, metric: "bytes_out", volume: "\(volume)", at: "2026-11-02T\(time):00Z", resource: resource)
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// Latest (revision, quantity) of each bytes_out window of `resource`, by window start.
    static func latest(_ h: EngineHarness, resource: String = "r1") -> [String: (revision: Int, quantity: String)] {
        var out: [String: (revision: Int, quantity: String)] = [:]
        for f in h.frames() where f["metric"] as? String == "bytes_out" && f["resource_id"] as? String == resource {
            let start = (f["window"] as! [String: Any])["start"] as! String, rev = f["revision"] as! Int
            if (out[start]?.revision ?? 0) < rev { out[start] = (rev, f["quantity"] as! String) }
        }
        return out
    }

    @Test func aLateLastPointRecomputesTheNextWindowThoughAFreeTierKeepsItsPrice() throws {
        let h = try EngineHarness(rules: Self.freeTier)
        try h.feed([Self.counter("1", 0, "00:10"), Self.counter("2", 100, "00:50"),
                    Self.counter("3", 300, "01:30"), Self.counter("4", 400, "02:30")])
        var q = Self.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "100")
        #expect(q["2026-11-02T01:00:00Z"]?.quantity == "200")
        // A late last point for hour 0: hour 0 rises to 250, hour 1 starts from 250.
        try h.feed([Self.counter("late", 250, "00:55")])
        q = Self.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "250")
        #expect(q["2026-11-02T00:00:00Z"]?.revision == 2)
        #expect(q["2026-11-02T01:00:00Z"]?.quantity == "50")
        #expect(q["2026-11-02T01:00:00Z"]?.revision == 2)
        for f in h.frames() { #expect(f["price"] as? String == "0") }
    }

    @Test func theNextWindowIsRevisedOnlyIfItsQuantityPriceOrExplanationMoved() throws {
        // Hour 1 starts with a restart (30 < 100): its rise is 30 whatever hour 0 ended at.
        // Under a (free) tier hour 1's quantity and price (0) stand, but its explanation's prior
        // usage goes from 100 to 250: it is revised (price_delta 0), or its latest revision is
        // not what a replay gives.
        let h = try EngineHarness(rules: Self.freeTier)
        try h.feed([Self.counter("1", 0, "00:10"), Self.counter("2", 100, "00:50"),
                    Self.counter("3", 30, "01:30"), Self.counter("4", 40, "02:30")])
        try h.feed([Self.counter("late", 250, "00:55")])
        let q = Self.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "250")
        #expect(q["2026-11-02T00:00:00Z"]?.revision == 2)
        #expect(q["2026-11-02T01:00:00Z"]?.quantity == "30")
        #expect(q["2026-11-02T01:00:00Z"]?.revision == 2)
    }

    @Test func aSampleFrom1970InTheFirstBatchIsTooLateNotBilled() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "epoch", volume: "7", at: "1970-01-01T00:00:00Z"),
                    H.sample(id: "good", volume: "2", at: "2026-11-02T00:10:00Z"),
                    // Within retention (PT2H) of the batch's latest sample: kept.
                    H.sample(id: "recent", volume: "3", at: "2026-11-01T23:30:00Z"),
                    H.sample(id: "epoch-after", volume: "9", at: "1970-01-02T00:00:00Z"),
                    H.sample(id: "good-2", volume: "1", at: "2026-11-02T00:20:00Z")], endOfInput: true)
        let letters = h.deadLetters()
        #expect(letters.map { $0["reason"] as? String } == ["too-late", "too-late"])
        #expect(letters.allSatisfy { ($0["detail"] as? String ?? "").contains("past its retention of PT2H") })
        #expect((letters.first?["detail"] as? String ?? "").contains("the event clock is not set yet"))
        let starts = h.frames().compactMap { ($0["window"] as? [String: Any])?["start"] as? String }.sorted()
        #expect(starts == ["2026-11-01T23:00:00Z", "2026-11-02T00:00:00Z"])
        #expect(h.rater.counters.samplesTooLate == 2)
        #expect(h.rater.counters.samplesFolded == 3)
    }

    @Test func anEmptyOrMissingScopeIsDeadLetteredNoScope() throws {
        let h = try EngineHarness()
        let null = H.sample(id: "null", volume: "1", at: "2026-11-02T00:12:00Z")
            .replacingOccurrences(of: #""project_id":"p1""#, with: #""project_id":null"#)
        try h.feed([H.sample(id: "empty", volume: "5", at: "2026-11-02T00:10:00Z", project: ""),
                    H.sample(id: "good", volume: "2", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "blank", volume: "5", at: "2026-11-02T00:11:00Z", project: " \\t"),
                    null], endOfInput: true)
        let letters = h.deadLetters()
        #expect(letters.map { $0["reason"] as? String } == ["no-scope", "no-scope", "no-scope"])
        let details = letters.compactMap { $0["detail"] as? String }
        #expect(details[0].contains("project_id is empty, and metric 'cpu_hours' is rated per project_id"))
        #expect(details[1].contains("project_id is blank (only white space)"))
        #expect(details[2].contains("project_id is missing or null"))
        let frames = h.frames()
        #expect(frames.count == 1)
        #expect((frames.first?["scope"] as? [String: Any])?["id"] as? String == "p1")
        #expect(frames.first?["quantity"] as? String == "2")
    }

    @Test func aCounterAcrossAnOutageCountsTheRiseInTheWindowAfterTheGap() throws {
        let h = try EngineHarness()
        try h.feed([Self.counter("1", 100, "00:10"), Self.counter("2", 160, "00:50")])
        // No sample in hours 1–3 (the agent was down); then 400 at 04:20.
        try h.feed([Self.counter("3", 400, "04:20"), Self.counter("4", 450, "04:40")])
        try h.feed([Self.counter("5", 20, "05:30")])  // a restart right after
        // 7 h 40 min after the last point: beyond bytes_out's retention (PT6H), a new baseline.
        try h.feed([Self.counter("6", 600, "13:10"), Self.counter("7", 650, "13:50")], endOfInput: true)
        let q = Self.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "60")
        #expect(q["2026-11-02T04:00:00Z"]?.quantity == "290")  // 160 → 450
        #expect(q["2026-11-02T05:00:00Z"]?.quantity == "20")
        #expect(q["2026-11-02T13:00:00Z"]?.quantity == "50")
        #expect(q.count == 4)
    }

    @Test func theBaselineAcrossAGapSurvivesARestartAndLateSamplesMoveItExactly() throws {
        let store = MemoryStateStore()
        let h = try EngineHarness(store: store)
        try h.feed([Self.counter("1", 100, "00:10"), Self.counter("2", 160, "00:50"), Self.counter("x", 1, "00:55", resource: "r2")])
        try h.feed([Self.counter("y", 2, "02:55", resource: "r2")])  // moves the clock: hour 0 closes
        _ = try h.restart()  // memory is gone; the counter mark is in the store
        try h.feed([Self.counter("3", 400, "04:20"), Self.counter("4", 450, "04:40"), Self.counter("z", 3, "05:50", resource: "r2")])
        #expect(Self.latest(h)["2026-11-02T04:00:00Z"]?.quantity == "290")
        // A late sample inside the gap takes its share of the rise from hour 4.
        try h.feed([Self.counter("gap", 300, "02:30")])
        var q = Self.latest(h)
        #expect(q["2026-11-02T02:00:00Z"]?.quantity == "140")
        #expect(q["2026-11-02T04:00:00Z"]?.quantity == "150")
        #expect(q["2026-11-02T04:00:00Z"]?.revision == 2)
        // A late last point for hour 0 moves hour 2's baseline, not hour 4's.
        try h.feed([Self.counter("late0", 200, "00:58")])
        q = Self.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "100")
        #expect(q["2026-11-02T02:00:00Z"]?.quantity == "100")
        #expect(q["2026-11-02T04:00:00Z"]?.quantity == "150")
        #expect(q["2026-11-02T04:00:00Z"]?.revision == 2)
        #expect(q.values.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1.quantity)! } == ExactDecimal(350))
        try h.feed([], endOfInput: true)
        // r2 reported every 2–3 hours: each rise lands in the window of the later reading.
        let r2 = Self.latest(h, resource: "r2")
        #expect(r2.mapValues(\.quantity) == ["2026-11-02T00:00:00Z": "0", "2026-11-02T02:00:00Z": "1", "2026-11-02T05:00:00Z": "1"])
    }

    /// Random counters with outages shorter than retention, restarts, and samples delayed
    /// into later batches: the windows' quantities add up to the counter's rise computed
    /// independently from the sorted readings.
    @Test func windowTotalsEqualAnIndependentComputation() throws {
        var rng = SplitMix(seed: 915)
        for _ in 0..<5 {
            let h = try EngineHarness()
            var readings: [(minute: Int, value: Int)] = []
            var minute = 5, value = 1000
            while minute < 20 * 60 {
                readings.append((minute, value))
                minute += rng.next(below: 5) == 0 ? 60 + Int(rng.next(below: 240)) : 5 + Int(rng.next(below: 20))  // outages < 5 h
                value = rng.next(below: 12) == 0 ? Int(rng.next(below: 50)) : value + Int(rng.next(below: 500))
            }
            var rise = 0
            for i in 1..<readings.count {
                let (a, b) = (readings[i - 1].value, readings[i].value)
                rise += b < a ? b : b - a
            }
            // In batches of whole hours, a few readings arriving one batch late.
            var pending: [String] = []
            var byHour: [Int: [String]] = [:]
            for (i, r) in readings.enumerated() {
                let text = H.sample(id: "s\(i)", metric: "bytes_out", volume: "\(r.value)",
                                    at: "2026-11-02T\(Self.two(r.minute / 60)):\(Self.two(r.minute % 60)):00Z")
                let delay = rng.next(below: 6) == 0 ? 1 : 0
                byHour[r.minute / 60 + delay, default: []].append(text)
            }
            for hour in 0...21 {
                pending += byHour[hour] ?? []
                if !pending.isEmpty { try h.feed(pending); pending = [] }
            }
            try h.feed([], endOfInput: true)
            let total = Self.latest(h).values.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1.quantity)! }
            #expect(total == ExactDecimal(rise), "readings: \(readings)")
        }
    }
}

typealias SplitMix = SplitMix64
