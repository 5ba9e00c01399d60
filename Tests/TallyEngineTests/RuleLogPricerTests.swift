import Testing
import TallyCore
import TallyWire
@testable import TallyEngine

/// RuleLogPricer: each window is priced with the book in effect at its start, frames
/// name that book's hash, and events folded later change later prices.
@Suite struct RuleLogPricerTests {
    static let hour: Int64 = 3_600_000_000
    static let t0 = EventTime(micros: 1_782_864_000_000_000)  // 2026-07-01T00:00:00Z
    static let metric = MetricDefinition(key: "instance", unit: "instance", factor: ExactDecimal(1), offset: .zero,
                                         mutation: .none, period: Period.parse("PT1H", zone: .utc)!,
                                         grace: .minutes(15), retention: .days(7))

    static func rules(cost: String, tiered: Bool = false) throws -> RuleSet {
        try RulesetFile.parse(yaml: """
            version: 1
            services:
              instance:
                fields:
                  flavor_name:
                    mappings:
                      - {id: m1-small, value: m1.small, type: flat, cost: \(cost)}
            \(tiered ? "tiers:\n  - {id: egress, service: egress, mode: graduated, tiers: [{unit_price: 0.05}]}" : "")
            """)
    }

    /// Publishes the diff to `target` at `at`, recorded at `now`, into the pricer.
    static func publish(_ target: RuleSet, at: EventTime, now: EventTime, into pricer: RuleLogPricer) throws {
        let changes = RuleLogDiff.changes(from: pricer.state.currentRules(at: at), to: target, at: at)
        let publication = try RuleLogPublication(changes: changes, author: "test", reason: "test", now: now,
                                                 state: pricer.state)
        var offset = (pricer.state.lastOffset ?? -1) + 1
        for record in publication.records {
            #expect(pricer.apply(eventBytes: record, offset: offset) == .accepted)
            offset += 1
        }
    }

    static func window(at start: EventTime) -> RatingInput {
        RatingInput(service: "instance", scope: "p1", resource: "vm1", quantity: ExactDecimal(1), unit: "instance",
                    windowStart: start, windowEnd: EventTime(micros: start.micros + hour),
                    description: RatingDescription(strings: ["flavor_name": "m1.small"]))
    }

    @Test func pricesEachWindowWithTheBookAtItsStart() throws {
        let pricer = RuleLogPricer()
        try Self.publish(Self.rules(cost: "0.025"), at: Self.t0, now: Self.t0, into: pricer)
        let change = EventTime(micros: Self.t0.micros + 10 * Self.hour)
        try Self.publish(Self.rules(cost: "0.03"), at: change, now: Self.t0, into: pricer)

        let before = Self.window(at: EventTime(micros: change.micros - Self.hour))
        let after = Self.window(at: change)
        #expect(pricer.price(before, metric: Self.metric, usage: nil).price == ExactDecimal("0.025")!)
        #expect(pricer.price(after, metric: Self.metric, usage: nil).price == ExactDecimal("0.03")!)
        let oldBook = pricer.ruleBookIdentity(forWindowStarting: before.windowStart)
        let newBook = pricer.ruleBookIdentity(forWindowStarting: after.windowStart)
        #expect(oldBook.version == pricer.state.version && newBook.version == pricer.state.version)
        #expect(oldBook.hash == (try pricer.state.ruleBook(at: before.windowStart)).contentHash)
        #expect(newBook.hash == (try pricer.state.ruleBook(at: change)).contentHash)
        #expect(oldBook.hash != newBook.hash)
        #expect(!pricer.usesCumulativeUsage(service: "egress"))
    }

    @Test func followsTheLogAndDropsCachedBooks() throws {
        let pricer = RuleLogPricer()
        let window = Self.window(at: EventTime(micros: Self.t0.micros + 5 * Self.hour))
        // No rule book yet: price_per_unit from the metrics file (none here: zero), no book named.
        #expect(pricer.price(window, metric: Self.metric, usage: nil).price == .zero)
        #expect(pricer.ruleBookIdentity(forWindowStarting: window.windowStart) == (nil, nil))
        try Self.publish(Self.rules(cost: "0.025"), at: Self.t0, now: Self.t0, into: pricer)
        #expect(pricer.price(window, metric: Self.metric, usage: nil).price == ExactDecimal("0.025")!)
        try Self.publish(Self.rules(cost: "0.025", tiered: true), at: Self.t0, now: Self.t0, into: pricer)
        #expect(pricer.usesCumulativeUsage(service: "egress"))
        // A redelivered offset changes nothing.
        #expect(pricer.apply(eventBytes: [], offset: 0) == .alreadyFolded)
    }
}
