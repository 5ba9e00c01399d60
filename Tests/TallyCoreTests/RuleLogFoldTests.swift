import Testing
@testable import TallyCore

/// Effective dating, versions, deletion history and audit trails of the fold.
struct RuleLogFoldTests {
    @Test func scheduledPriceChangePricesWindowsByTheirStart() throws {
        var log = RL.baseLog()
        #expect(log.add(.create(.mapping(RL.mapping("base", cost: "0.10"))), recorded: 1, start: 1) == .accepted)
        // Recorded at hour 2, the price changes at hour 10: end + create under the same id.
        #expect(log.add(.end(.rule(.mapping, "base")), recorded: 2, start: 10) == .accepted)
        #expect(log.add(.create(.mapping(RL.mapping("base", cost: "0.12"))), recorded: 2, start: 10) == .accepted)

        #expect(try RL.price(log.state, RL.window(at: RL.hour(9))) == "0.2")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(10))) == "0.24")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(50))) == "0.24")
        // Before the rule started, compute had no rules: the window keeps price 0.
        #expect(try RL.price(log.state, RL.window(at: RL.hour(0))) == "0")
        // The book at hour 9 does not know the new price, the one at 10 not the old one.
        #expect(try log.state.ruleBook(at: RL.hour(9)).rules.mappings.map(\.cost) == [RL.d("0.10")])
        #expect(try log.state.ruleBook(at: RL.hour(10)).rules.mappings.map(\.cost) == [RL.d("0.12")])
        #expect(log.state.epoch(containing: RL.hour(9)).end == RL.hour(10))
    }

    @Test func versionsAnswerWhatWasKnownAfterAnOffset() throws {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("base", cost: "0.10"))), recorded: 1, start: 1)  // offset 2
        log.add(.end(.rule(.mapping, "base")), recorded: 5, start: 10)                        // offset 3
        log.add(.create(.mapping(RL.mapping("base", cost: "0.12"))), recorded: 5, start: 10)  // offset 4
        let window = RL.window(at: RL.hour(20))
        #expect(try RL.price(log.state, window, asOf: 2) == "0.2")
        #expect(try RL.price(log.state, window, asOf: 3) == "0")   // ended, not yet replaced
        #expect(try RL.price(log.state, window, asOf: 4) == "0.24")
        #expect(log.state.version == 4)
        #expect(log.state.ruleSet(at: RL.hour(20), asOf: 1).mappings.isEmpty)
    }

    @Test func deletionEndsARuleAndKeepsItsHistory() throws {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("base", cost: "0.10"))), recorded: 1, start: 1)
        #expect(log.add(.delete(.rule(.mapping, "base")), recorded: 5, start: 6) == .accepted)
        #expect(try RL.price(log.state, RL.window(at: RL.hour(5))) == "0.2")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(6))) == "0")
        let history = log.state.history(of: .rule(.mapping, "base"))
        #expect(history.count == 1)
        #expect(history[0].revisions.map(\.deleted) == [false, true])
        #expect(log.state.auditTrail(ruleID: "base").map(\.operation) == ["create", "delete"])
        // A rule deleted before it starts never applies.
        log.add(.create(.mapping(RL.mapping("later", cost: "1", field: "flavor", value: "m1.tiny"))), recorded: 7, start: 20)
        log.add(.delete(.rule(.mapping, "later")), recorded: 8, start: 8)
        #expect(try RL.price(log.state, RL.window(at: RL.hour(30))) == "0")
        #expect(log.state.changeInstants().contains(RL.hour(20)) == false)
    }

    @Test func updateOfARuleThatHasNotStartedReplacesIt() throws {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("base", cost: "0.10"))), recorded: 1, start: 10)
        #expect(log.add(.update(.mapping(RL.mapping("base", cost: "0.30"))), recorded: 2, start: 12) == .accepted)
        #expect(try RL.price(log.state, RL.window(at: RL.hour(11))) == "0")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(12))) == "0.6")
        #expect(log.state.auditTrail(ruleID: "base").map(\.operation) == ["create", "update"])
    }

    @Test func tenantRulesOverrideGlobalOnesForTheirScopeOnly() throws {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("tiny", cost: "1", field: "flavor", value: "m1.tiny"))), recorded: 1, start: 1)
        #expect(log.add(.create(.mapping(RL.mapping("tiny-acme", cost: "0.5", field: "flavor", value: "m1.tiny",
                                                     tenant: "acme"))), recorded: 1, start: 1) == .accepted)
        // Another tenant may have its own rule with the same key.
        #expect(log.add(.create(.mapping(RL.mapping("tiny-beta", cost: "0.7", field: "flavor", value: "m1.tiny",
                                                     tenant: "beta"))), recorded: 1, start: 1) == .accepted)
        // But not a second one for the same tenant at the same time (CloudKitty's 409).
        let clash = log.add(.create(.mapping(RL.mapping("tiny-acme-2", cost: "0.4", field: "flavor", value: "m1.tiny",
                                                         tenant: "acme"))), recorded: 1, start: 2)
        #expect(clash.rejection?.code == .duplicate)
        #expect(try RL.price(log.state, RL.window(at: RL.hour(3), scope: "acme")) == "1")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(3), scope: "beta")) == "1.4")
        #expect(try RL.price(log.state, RL.window(at: RL.hour(3), scope: "other")) == "2")
    }

    @Test func moduleChangesAreEffectiveDated() throws {
        var log = RL.baseLog()
        #expect(log.add(.disableModule(.hashmap), recorded: 1, start: 5) == .accepted)
        #expect(log.add(.setModulePriority(.tiers, 7), recorded: 1, start: 3) == .accepted)
        #expect(log.state.moduleSettings(at: RL.hour(4))[.hashmap] == nil)
        #expect(log.state.moduleSettings(at: RL.hour(4))[.tiers] == ModuleSetting(enabled: true, priority: 7))
        #expect(log.state.moduleSettings(at: RL.hour(5))[.hashmap] == ModuleSetting(enabled: false, priority: 3))
        #expect(try log.state.ruleBook(at: RL.hour(6)).moduleOrder.contains(.hashmap) == false)
        #expect(log.state.moduleAudit.count == 2)
    }

    @Test func ruleBookHashIgnoresOrderButNotContent() throws {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("a", cost: "1", field: "flavor", value: "x"))), recorded: 1, start: 1)
        log.add(.create(.mapping(RL.mapping("b", cost: "2", field: "flavor", value: "y"))), recorded: 1, start: 1)
        let set = log.state.ruleSet(at: RL.hour(2))
        var reordered = set
        reordered.mappings.reverse()
        reordered.services[0].fields.reverse()
        #expect(set.contentHash == reordered.contentHash)
        #expect(set.contentHash.count == 64)
        var changed = set
        changed.mappings[0].cost = RL.d("1.5")
        #expect(set.contentHash != changed.contentHash)
        // Explicit default module settings mean the same as none.
        var explicit = set
        explicit.modules[.hashmap] = .defaultSetting(for: .hashmap)
        #expect(set.contentHash == explicit.contentHash)
    }

    @Test func redeliveredOffsetsAreIgnored() {
        var log = RL.baseLog()
        let again = log.state.apply(log.events[1], offset: 1)
        #expect(again == .alreadyFolded)
        #expect(log.state.acceptedCount == 2)
    }
}
