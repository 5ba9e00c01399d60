import Testing
@testable import TallyCore

/// The fold checks one mapping or threshold without building a one-rule set
/// (`RuleLogState.attachedRuleProblems`); these hold it to what `RuleSetChecker` says of
/// that set, message for message and in order, over every combination of the members
/// it looks at. And the declarations' user lists, kept as sorted arrays, stay sorted
/// and free of repeats whatever order positions come in.
struct RuleLogOneRuleCheckTests {
    static let ids = ["", "r1"]
    static let services = ["", "compute"]
    static let groups: [String?] = [nil, "", "g"]
    static let tenants: [String?] = [nil, "", "t1"]
    static let fields: [String?] = [nil, "flavor"]
    static let values: [String?] = [nil, "", "m1.small"]
    static let validities = [RuleValidity(start: EventTime(micros: 10), end: nil),
                             RuleValidity(start: EventTime(micros: 10), end: EventTime(micros: 20)),
                             RuleValidity(start: EventTime(micros: 10), end: EventTime(micros: 10)),
                             RuleValidity(start: EventTime(micros: 10), end: EventTime(micros: 5))]

    /// The set the fold built before: the rule, its service with its field, its group.
    static func attachedSet(service: String, field: String?, group: String?) -> RuleSet {
        RuleSet(groups: group.map { [$0] } ?? [], services: [ServiceDeclaration(name: service, fields: field.map { [$0] } ?? [])])
    }

    @Test func mappingsGetTheCheckersMessages() {
        var compared = 0
        for id in Self.ids { for service in Self.services { for group in Self.groups { for tenant in Self.tenants {
            for field in Self.fields { for value in Self.values { for validity in Self.validities {
                let m = HashMapping(id: id, service: service, field: field, value: value, type: .flat,
                                    cost: ExactDecimal("1")!, group: group, tenant: tenant, validity: validity)
                var set = Self.attachedSet(service: service, field: field, group: group)
                set.mappings = [m]
                let fast = RuleLogState.attachedRuleProblems(id: id, service: service, group: group, validity: validity,
                                                             tenant: tenant, field: field, value: .some(value))
                #expect(fast == RuleLogState.setProblems(set), "\(m)")
                compared += 1
            } } }
        } } } }
        #expect(compared == 2 * 2 * 3 * 3 * 2 * 3 * 4)
    }

    @Test func thresholdsGetTheCheckersMessages() {
        for id in Self.ids { for service in Self.services { for group in Self.groups { for tenant in Self.tenants {
            for field in Self.fields { for validity in Self.validities {
                let t = HashThreshold(id: id, service: service, field: field, level: ExactDecimal("10")!, type: .flat,
                                      cost: ExactDecimal("1")!, group: group, tenant: tenant, validity: validity)
                var set = Self.attachedSet(service: service, field: field, group: group)
                set.thresholds = [t]
                let fast = RuleLogState.attachedRuleProblems(id: id, service: service, group: group, validity: validity,
                                                             tenant: tenant, field: field, value: nil)
                #expect(fast == RuleLogState.setProblems(set), "\(t)")
            } }
        } } } }
    }

    @Test func someCombinationsHaveProblems() {
        // Guards the loops above against comparing only empty lists.
        let problems = RuleLogState.attachedRuleProblems(id: "", service: "s", group: nil, validity: .always, tenant: "",
                                                         field: nil, value: .some("v"))
        #expect(problems == ["every rule needs a non-empty id", "tenant id is empty (omit it for a global rule)",
                             "a service mapping cannot have a value"])
    }

    @Test func userListsStaySortedWithoutRepeats() {
        var entry = TargetEntry()
        for position: Int32 in [3, 7, 9, 5, 7, 1, 12, 9] { entry.addUser(position) }
        #expect(entry.users == [1, 3, 5, 7, 9, 12])
        entry.removeUser(7)
        entry.removeUser(8)
        entry.removeUser(1)
        #expect(entry.users == [3, 5, 9, 12])
        entry.addUser(7)
        #expect(entry.users == [3, 5, 7, 9, 12])
    }
}
