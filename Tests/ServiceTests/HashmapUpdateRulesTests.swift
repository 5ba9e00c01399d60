import Testing
import TallyCore
import TallyWire
@testable import TallyService

/// CloudKitty 23's update rules on the catalog, without a broker: a started mapping may only
/// get a future end (once); a rule that has not started is updated freely; a started
/// threshold (CloudKitty 23 gave thresholds no dates) changes from now on, keeping its id.
@Suite struct HashmapUpdateRulesTests {
    static let t0 = EventTime(micros: 1_800_000_000_000_000)

    static func state(start: EventTime, kind: RuleItemKind = .threshold) -> RuleLogState {
        var state = RuleLogState()
        let rule: RuleItem = kind == .threshold
            ? .threshold(HashThreshold(id: "t1", service: "volume", level: ExactDecimal("10")!, type: .rate, cost: ExactDecimal("0.5")!))
            : .mapping(HashMapping(id: "m1", service: "volume", field: nil, value: nil, type: .rate, cost: ExactDecimal("0.5")!))
        let changes = [
            PlannedRuleChange(change: .create(.service(ServiceDeclaration(name: "volume"))), start: t0),
            PlannedRuleChange(change: .create(rule), start: start),
        ]
        for (offset, event) in RuleLogWriter.prepare(changes: changes, author: "a", reason: "r", now: t0, head: "").enumerated() {
            #expect(state.apply(event, offset: Int64(offset)) == .accepted)
        }
        return state
    }

    @Test func aStartedMappingMayOnlyGetAFutureEndOnce() throws {
        let now = Self.t0 + TimeSpan.hours(1)
        let catalog = HashmapCatalog(state: Self.state(start: Self.t0, kind: .mapping), now: now)
        let rule = try #require(catalog.rules.first)
        let end = try #require(try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["end": "2031-06-30"]), catalog: catalog, now: now).first)
        #expect(end.change == .end(.rule(.mapping, "m1")))
        #expect(end.start == (try APIDate.parse("2031-06-30", member: "end", isEnd: true)))
        #expect(throws: APIError.self) { try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["cost": "0.7"]), catalog: catalog, now: now) }
        // The same content again (keystoneauth re-sends a PUT to the redirect) changes nothing.
        #expect(throws: RatingRoutes.NothingToChange.self) { try HashmapRuleRoutes.update(rule, body: JSONBody(members: [:]), catalog: catalog, now: now) }
    }

    @Test func aRuleThatHasNotStartedIsUpdated() throws {
        let catalog = HashmapCatalog(state: Self.state(start: Self.t0 + TimeSpan.days(2)), now: Self.t0)
        let rule = try #require(catalog.rules.first)
        let update = try #require(try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["cost": "0.7"]), catalog: catalog, now: Self.t0).first)
        guard case .update(.threshold(let t)) = update.change else { Issue.record("\(update)"); return }
        #expect(t.cost == ExactDecimal("0.7")! && update.start == Self.t0 + TimeSpan.days(2))
    }

    @Test func aStartedThresholdChangesFromNowOnUnderItsFirstID() throws {
        var state = Self.state(start: Self.t0)
        let now = Self.t0 + TimeSpan.hours(1)
        let before = HashmapCatalog(state: state, now: now)
        let rule = try #require(before.rules.first)
        let changes = try HashmapRuleRoutes.update(rule, body: JSONBody(members: ["cost": "0.7"]), catalog: before, now: now)
        #expect(changes.map(\.change.operation) == ["end", "create"] && changes.allSatisfy { $0.start == now })
        let events = RuleLogWriter.prepareAtomic(changes: changes, author: "b", reason: "new cost", now: now, head: state.head)
        for (offset, event) in events.enumerated() { #expect(state.apply(event, offset: Int64(10 + offset)) == .accepted) }
        let after = HashmapCatalog(state: state, now: now + TimeSpan.seconds(1))
        #expect(after.rules.count == 1)
        let updated = try #require(after.rule(apiID: rule.apiID, kind: .threshold))
        #expect(updated.threshold?.cost == ExactDecimal("0.7")! && updated.updated?.author == "b" && updated.created?.author == "a")
        // The windows already rated keep the old cost: the book before `now` still holds it.
        #expect(try state.ruleBook(at: now - TimeSpan.seconds(1)).rules.thresholds.first?.cost == ExactDecimal("0.5")!)
        #expect(try state.ruleBook(at: now).rules.thresholds.first?.cost == ExactDecimal("0.7")!)
    }
}
