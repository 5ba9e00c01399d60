import Testing
import TallyCore
import TallyWire
@testable import TallyService

/// CloudKitty 23's update rules on the catalog, without a broker: a started rule may only
/// get a future end (once); a rule that has not started is updated freely.
@Suite struct HashmapUpdateRulesTests {
    static let t0 = EventTime(micros: 1_800_000_000_000_000)

    static func state(start: EventTime) -> RuleLogState {
        var state = RuleLogState()
        let changes = [
            PlannedRuleChange(change: .create(.service(ServiceDeclaration(name: "volume"))), start: t0),
            PlannedRuleChange(change: .create(.threshold(HashThreshold(id: "t1", service: "volume", level: ExactDecimal("10")!, type: .rate, cost: ExactDecimal("0.5")!))),
                              start: start),
        ]
        for (offset, event) in RuleLogWriter.prepare(changes: changes, author: "a", reason: "r", now: t0, head: "").enumerated() {
            #expect(state.apply(event, offset: Int64(offset)) == .accepted)
        }
        return state
    }

    @Test func aStartedRuleMayOnlyGetAFutureEndOnce() throws {
        let now = Self.t0 + TimeSpan.hours(1)
        let catalog = HashmapCatalog(state: Self.state(start: Self.t0), now: now)
        let rule = try #require(catalog.rules.first)
        let end = try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["end": "2031-06-30"]), catalog: catalog, now: now)
        #expect(end.change == .end(.rule(.threshold, "t1")))
        #expect(end.start == (try APIDate.parse("2031-06-30", member: "end", isEnd: true)))
        #expect(throws: APIError.self) { try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["cost": "0.7"]), catalog: catalog, now: now) }
        // The same content again (keystoneauth re-sends a PUT to the redirect) changes nothing.
        #expect(throws: RatingRoutes.NothingToChange.self) { try HashmapRuleRoutes.update(rule, body: JSONBody(members: [:]), catalog: catalog, now: now) }
    }

    @Test func aRuleThatHasNotStartedIsUpdated() throws {
        let catalog = HashmapCatalog(state: Self.state(start: Self.t0 + TimeSpan.days(2)), now: Self.t0)
        let rule = try #require(catalog.rules.first)
        let update = try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["cost": "0.7"]), catalog: catalog, now: Self.t0)
        guard case .update(.threshold(let t)) = update.change else { Issue.record("\(update)"); return }
        #expect(t.cost == ExactDecimal("0.7")! && update.start == Self.t0 + TimeSpan.days(2))
    }
}
