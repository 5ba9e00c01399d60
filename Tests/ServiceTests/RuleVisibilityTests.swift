import Testing
import TallyCore
@testable import TallyService

/// The rule log's tenant filter and the book diff, as units: a reader sees global rules and
/// their tenants' rules, never another tenant's; the diff names each item added, removed or changed.
@Suite struct RuleVisibilityTests {
    let reader = Principal(name: "r", role: .reader, projects: ["alpha"])

    static func mapping(_ id: String, tenant: String?, cost: String = "1") -> RuleItem {
        .mapping(HashMapping(id: id, service: "instance", type: .flat, cost: ExactDecimal(cost)!, tenant: tenant))
    }

    static func book(_ mappings: [(String, String?, String)]) -> CanonicalJSON {
        .object(["mappings": .array(mappings.map { id, tenant, cost in
            var members: [String: CanonicalJSON] = ["id": .string(id), "cost": .string(cost)]
            if let tenant { members["tenant"] = .string(tenant) }
            return .object(members)
        }), "groups": .array([])])
    }

    @Test func aReaderSeesGlobalAndOwnTenantRulesOnly() {
        let visibility = RuleVisibility(principal: reader, state: RuleLogState())
        #expect(visibility.maySee(.create(Self.mapping("g", tenant: nil))))
        #expect(visibility.maySee(.create(Self.mapping("a", tenant: "alpha"))))
        #expect(!visibility.maySee(.create(Self.mapping("b", tenant: "beta"))))
        let mixed = RuleChange.batch([PlannedRuleChange(change: .create(Self.mapping("g", tenant: nil)), start: .distantPast, end: nil),
                                      PlannedRuleChange(change: .create(Self.mapping("b", tenant: "beta")), start: .distantPast, end: nil)])
        #expect(!visibility.maySee(mixed), "a batch touching another tenant's rule is withheld whole")
        #expect(RuleVisibility(principal: .noauth, state: RuleLogState()).maySee(mixed))

        let filtered = visibility.filter(book: Self.book([("g", nil, "1"), ("a", "alpha", "2"), ("b", "beta", "3")]))
        #expect(filtered == Self.book([("g", nil, "1"), ("a", "alpha", "2")]))
    }

    @Test func theBookDiffNamesEachItemAddedRemovedOrChanged() {
        let changes = RuleBookDiff.changes(from: Self.book([("kept", nil, "1"), ("gone", nil, "1"), ("repriced", nil, "1")]),
                                           to: Self.book([("kept", nil, "1"), ("repriced", nil, "2"), ("new", nil, "5")]))
        let summary = changes.map { change -> String in
            let text = change.text
            return ["added", "removed", "changed"].first { text.contains("\"change\":\"\($0)\"") }! + ":"
                + ["gone", "repriced", "new"].first { text.contains("\"key\":\"\($0)\"") }!
        }
        #expect(summary == ["removed:gone", "added:new", "changed:repriced"])
    }
}
