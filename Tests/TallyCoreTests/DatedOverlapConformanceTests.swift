import Testing
@testable import TallyCore

/// Issue 9 item 1: the dated overlaps CloudKitty's hashmap accepts for two mappings with
/// the same key — a bounded mapping, then a later-created open-ended one starting inside
/// its window — load, and price as CloudKitty does: the later-created one wins while both
/// are live. Every other overlap is still refused (CloudKitty's 409).
@Suite struct DatedOverlapConformanceTests {
    static let hour: Int64 = 3_600_000_000
    static func at(_ h: Int64) -> EventTime { EventTime(micros: RT.t0.micros + h * hour) }
    static func window(_ from: Int64, _ to: Int64?) -> RuleValidity { RuleValidity(start: at(from), end: to.map(at)) }

    /// P1 (m1.nano) at hour `h`.
    static func nano(at h: Int64, _ book: RuleBook) -> String {
        RT.prices(book, [RT.input(qty: "1", at: at(h), [("flavor", .string, "m1.nano")])])[0]
    }

    @Test func boundedThenLaterOpenEndedInsideLoadsAndTheLaterCreatedWins() throws {
        let book = try RT.book(mappings: [RT.fm("old", "flavor", "m1.nano", .flat, "1", validity: Self.window(0, 10)),
                                          RT.fm("new", "flavor", "m1.nano", .flat, "2", validity: Self.window(5, nil))])
        #expect(Self.nano(at: 0, book) == "1")     // only the bounded one
        #expect(Self.nano(at: 4, book) == "1")
        #expect(Self.nano(at: 5, book) == "2")     // both live: the later-created one
        #expect(Self.nano(at: 9, book) == "2")
        #expect(Self.nano(at: 10, book) == "2")    // only the open-ended one
        // The explanation names only the winner.
        let r = Rater(book: book).rate(RT.input(qty: "1", at: Self.at(6), [("flavor", .string, "m1.nano")]), explain: true)
        #expect(r.explanation.canonicalJSON.contains("\"mappings\":[\"new\"]"), "\(r.explanation.canonicalJSON)")
    }

    @Test func serviceMappingsFollowTheSameRule() throws {
        let book = try RT.book(mappings: [RT.sm("old", .rate, "3", validity: Self.window(0, 10)),
                                          RT.sm("new", .flat, "7", validity: Self.window(2, nil))])
        let q = RT.input(qty: "1", at: Self.at(3), [])
        #expect(RT.prices(book, [q]) == ["7"], "rate 3 is not applied: the later-created flat 7 replaced it")
    }

    @Test(arguments: [
        // (earlier, later): shapes CloudKitty answers 409 for.
        (RuleValidity(start: at(0), end: at(10)), RuleValidity(start: at(5), end: at(20))),   // later is bounded
        (RuleValidity(start: at(0), end: nil), RuleValidity(start: at(5), end: nil)),         // earlier is open-ended
        (RuleValidity(start: at(5), end: at(10)), RuleValidity(start: at(0), end: nil)),      // later starts before it
        (RuleValidity(start: at(5), end: at(10)), RuleValidity(start: at(5), end: nil)),      // same start
        (RuleValidity(start: at(0), end: nil), RuleValidity(start: at(5), end: at(8))),       // bounded inside open-ended
    ])
    func otherOverlapsAreStillRefused(earlier: RuleValidity, later: RuleValidity) {
        #expect(throws: RuleSetValidationError.self) {
            try RT.book(mappings: [RT.fm("a", "flavor", "m1.nano", .flat, "1", validity: earlier),
                                   RT.fm("b", "flavor", "m1.nano", .flat, "2", validity: later)])
        }
    }

    @Test func declarationOrderIsCreationOrder() {
        // The open-ended one listed first is the earlier-created: refused.
        #expect(throws: RuleSetValidationError.self) {
            try RT.book(mappings: [RT.fm("new", "flavor", "m1.nano", .flat, "2", validity: Self.window(5, nil)),
                                   RT.fm("old", "flavor", "m1.nano", .flat, "1", validity: Self.window(0, 10))])
        }
    }

    @Test func thresholdsKeepTheStrictRule() {
        #expect(throws: RuleSetValidationError.self) {
            try RT.book(thresholds: [
                HashThreshold(id: "a", service: "compute", level: RT.d("1"), type: .flat, cost: .one, validity: Self.window(0, 10)),
                HashThreshold(id: "b", service: "compute", level: RT.d("1"), type: .flat, cost: .one, validity: Self.window(5, nil)),
            ])
        }
    }

    /// The rule log accepts the same shape in log order and prices it the same way.
    @Test func theRuleLogAcceptsItInLogOrder() throws {
        var log = RL.baseLog()
        let old = RL.mapping("old", cost: "1", field: "flavor", value: "m1.tiny")
        let new = RL.mapping("new", cost: "2", field: "flavor", value: "m1.tiny")
        #expect(log.add(.create(.mapping(old)), recorded: 1, start: 2, end: 10) == .accepted)
        #expect(log.add(.create(.mapping(new)), recorded: 1, start: 5) == .accepted)
        func price(_ h: Int64) throws -> String {
            let book = try log.state.ruleBook(at: RL.hour(h))
            return Rater(book: book).rate(RL.window(at: RL.hour(h), qty: "1")).price.canonicalText
        }
        #expect(try price(3) == "1")
        #expect(try price(6) == "2")
        #expect(try price(12) == "2")
        // In the other order (open-ended first) it is a 409.
        var other = RL.baseLog()
        #expect(other.add(.create(.mapping(new)), recorded: 1, start: 5) == .accepted)
        #expect(other.add(.create(.mapping(old)), recorded: 1, start: 2, end: 10).rejection?.code == .duplicate)
    }
}
