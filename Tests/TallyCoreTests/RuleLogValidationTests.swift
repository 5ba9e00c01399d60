import Testing
@testable import TallyCore

/// Each of CloudKitty 23's rules for dated rules, and the log's own, refused with its
/// code; a refused event changes nothing but the record of rejections.
struct RuleLogValidationTests {
    /// Folds `change` onto `log` and checks that it is rejected with `code` without effect.
    func expectRejected(_ log: inout RL.Log, _ code: RuleEventRejection.Code, _ change: RuleChange,
                        recorded: Int64, start: Int64, end: Int64? = nil, force: Bool = false,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let before = log.state.ruleSet(at: RL.hour(start)), version = log.state.version
        let outcome = log.add(change, recorded: recorded, start: start, end: end, force: force)
        #expect(outcome.rejection?.code == code, "\(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.rejection?.message.isEmpty == false, sourceLocation: sourceLocation)
        #expect(log.state.ruleSet(at: RL.hour(start)) == before, sourceLocation: sourceLocation)
        #expect(log.state.version == version, sourceLocation: sourceLocation)
        #expect(log.state.rejected.last?.rejection.code == code, sourceLocation: sourceLocation)
    }

    @Test func aStartInThePastNeedsForce() {
        var log = RL.baseLog()
        expectRejected(&log, .pastStartWithoutForce, .create(.mapping(RL.mapping("m", cost: "1"))), recorded: 10, start: 5)
        #expect(log.add(.create(.mapping(RL.mapping("m", cost: "1"))), recorded: 10, start: 5, force: true) == .accepted)
        #expect(log.events.last?.force == true)
        expectRejected(&log, .pastStartWithoutForce, .disableModule(.tiers), recorded: 10, start: 9)
    }

    @Test func aStartedRuleCannotBeUpdated() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("m", cost: "1"))), recorded: 1, start: 2)
        expectRejected(&log, .alreadyStarted, .update(.mapping(RL.mapping("m", cost: "2"))), recorded: 3, start: 4)
    }

    @Test func onlyOneEndAndOnlyInTheFuture() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("m", cost: "1"))), recorded: 1, start: 2)
        expectRejected(&log, .endInPast, .end(.rule(.mapping, "m")), recorded: 5, start: 4)
        expectRejected(&log, .endInPast, .end(.rule(.mapping, "m")), recorded: 5, start: 4, force: true)
        #expect(log.add(.end(.rule(.mapping, "m")), recorded: 5, start: 8) == .accepted)
        expectRejected(&log, .endAlreadySet, .end(.rule(.mapping, "m")), recorded: 5, start: 9)
        // A rule created with an end already has one.
        log.add(.create(.mapping(RL.mapping("n", cost: "1", field: "flavor", value: "x"))), recorded: 5, start: 6, end: 20)
        expectRejected(&log, .endAlreadySet, .end(.rule(.mapping, "n")), recorded: 7, start: 10)
    }

    @Test func endsMustComeAfterStarts() {
        var log = RL.baseLog()
        expectRejected(&log, .endBeforeStart, .create(.mapping(RL.mapping("m", cost: "1"))), recorded: 1, start: 5, end: 5)
        log.add(.create(.mapping(RL.mapping("m", cost: "1"))), recorded: 1, start: 10)
        expectRejected(&log, .endBeforeStart, .end(.rule(.mapping, "m")), recorded: 2, start: 9)
        expectRejected(&log, .invalidEvent, .end(.rule(.mapping, "m")), recorded: 2, start: 12, end: 13)
    }

    @Test func duplicatesAreRefused() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("m", cost: "1"))), recorded: 1, start: 1)
        // Same id while the first is in force; same key (service mapping, no group) under another id.
        expectRejected(&log, .duplicate, .create(.mapping(RL.mapping("m", cost: "2"))), recorded: 1, start: 3)
        expectRejected(&log, .duplicate, .create(.mapping(RL.mapping("m2", cost: "2"))), recorded: 1, start: 3)
        expectRejected(&log, .duplicate, .create(.group("g")), recorded: 1, start: 3)
        expectRejected(&log, .duplicate, .create(.field(service: "compute", name: "flavor")), recorded: 1, start: 3)
        // Rule ids are unique across kinds.
        expectRejected(&log, .duplicate, .create(.script(ScriptRule(id: "m", source: "return price"))), recorded: 1, start: 3)
        // The same event twice: the replay links to the head, but its id was accepted.
        let first = log.events[2]
        let replay = RuleEvent(id: first.id, author: first.author, reason: first.reason, recordedAt: first.recordedAt,
                               start: first.start, change: .create(.group("h"))).sealed(after: log.state.head)
        #expect(log.append(replay).rejection?.code == .duplicateEvent)
    }

    @Test func referencesMustExistForTheWholeValidity() {
        var log = RL.baseLog()
        expectRejected(&log, .unknownGroup, .create(.mapping(RL.mapping("m", cost: "1", group: "nope"))), recorded: 1, start: 1)
        expectRejected(&log, .unknownService, .create(.mapping(RL.mapping("m", cost: "1", service: "volume"))), recorded: 1, start: 1)
        expectRejected(&log, .unknownField, .create(.mapping(RL.mapping("m", cost: "1", field: "disk", value: "x"))),
                       recorded: 1, start: 1)
        expectRejected(&log, .unknownRule, .end(.rule(.mapping, "nope")), recorded: 1, start: 2)
        expectRejected(&log, .unknownRule, .update(.mapping(RL.mapping("nope", cost: "1"))), recorded: 1, start: 2)
        // A group that starts later does not cover a rule that starts earlier.
        log.add(.create(.group("late")), recorded: 1, start: 10)
        expectRejected(&log, .unknownGroup, .create(.mapping(RL.mapping("m", cost: "1", group: "late"))), recorded: 1, start: 5)
    }

    @Test func malformedRulesAreRefusedWithTheirProblem() {
        var log = RL.baseLog()
        let valueless = RL.mapping("m", cost: "1", field: "flavor")
        expectRejected(&log, .invalidRule, .create(.mapping(valueless)), recorded: 1, start: 1)
        let badTiers = TierRule(id: "t", service: "compute", schedule: TierSchedule(mode: .graduated, tiers: [
            .init(upTo: RL.d("10"), unitPrice: .one), .init(upTo: RL.d("5"), unitPrice: .one), .init(upTo: nil, unitPrice: .one),
        ]))
        let outcome = log.add(.create(.tier(badTiers)), recorded: 1, start: 1)
        #expect(outcome.rejection?.code == .invalidRule)
        #expect(outcome.rejection?.description.hasPrefix("invalid-rule: tier 2 bound 5") == true)
        expectRejected(&log, .invalidEvent, .update(.group("g")), recorded: 1, start: 2)
    }

    @Test func declarationsInUseCannotEnd() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("m", cost: "1", field: "flavor", value: "x", group: "g"))), recorded: 1, start: 1)
        expectRejected(&log, .inUse, .delete(.group("g")), recorded: 2, start: 3)
        expectRejected(&log, .inUse, .delete(.service("compute")), recorded: 2, start: 3)
        expectRejected(&log, .inUse, .end(.field(service: "compute", name: "flavor")), recorded: 2, start: 3)
        // Once the rule ends at 5, the group may end at 5 too.
        log.add(.end(.rule(.mapping, "m")), recorded: 2, start: 5)
        #expect(log.add(.delete(.group("g")), recorded: 2, start: 5) == .accepted)
        expectRejected(&log, .alreadyDeleted, .delete(.group("g")), recorded: 2, start: 6)
        // Deleting the service ends its fields with it.
        #expect(log.add(.delete(.service("compute")), recorded: 2, start: 6) == .accepted)
        #expect(log.state.ruleSet(at: RL.hour(7)).services.isEmpty)
        #expect(log.state.ruleSet(at: RL.hour(5)).services.first?.fields == ["flavor", "memory"])
    }

    @Test func anEventNeedsAnIdAnAuthorAndAReason() {
        var log = RL.baseLog()
        let nameless = RuleEvent(id: "e", author: "", reason: "r", recordedAt: RL.hour(1), start: RL.hour(1),
                                 change: .create(.group("x"))).sealed(after: log.state.head)
        #expect(log.append(nameless).rejection?.code == .invalidEvent)
    }

    @Test func alteredAndStaleEventsAreRejectedWithoutMovingTheHead() {
        var log = RL.baseLog()
        var altered = RL.event(.create(.group("x")), recorded: 1, start: 1, head: log.state.head)
        altered.author = "mallory"
        let head = log.state.head
        #expect(log.append(altered).rejection?.code == .badHash)
        #expect(log.state.head == head)
        let stale = RL.event(.create(.group("y")), recorded: 1, start: 1, head: log.events[0].hash)
        #expect(log.append(stale).rejection?.code == .staleHead)
        #expect(log.state.head == head)
        // A validation rejection is still a link of the chain: the head moves past it.
        let refused = RL.event(.create(.group("g")), recorded: 1, start: 1, head: head)
        #expect(log.append(refused).rejection?.code == .duplicate)
        #expect(log.state.head == refused.hash)
    }
}
