import Testing
@testable import TallyCore

/// Compiling a tenant from the global rules plus its own (TenantRules) must give exactly
/// what compiling it from the whole book gives: same rules, same order (which rule wins
/// and the order mappings apply depend on it), for every tenant and for none.
@Suite struct TenantRulesTests {
    static func book() throws -> RuleBook {
        var mappings: [HashMapping] = []
        var thresholds: [HashThreshold] = []
        var tiers: [TierRule] = []
        let owners: [String?] = [nil, "t0", "t1", "t2"]
        // Global and tenant rules interleaved; tenant rules replace global keys (e.g. t1's m2
        // replaces m0) and add new ones. (owner, value) is unique per i, so no duplicates.
        for i in 0..<12 {
            let tenant = owners[i % 4]
            mappings.append(RT.fm("m\(i)", "flavor", "f\(i / 4)", i % 2 == 0 ? .flat : .rate, "1.\(i)",
                                  group: "g\(i % 2)", tenant: tenant))
            mappings.append(RT.fm("n\(i)", "flavor", "f\(i % 4)", .flat, "0.\(i + 1)", group: "h\(i)", tenant: tenant))
            thresholds.append(RT.th("q\(i)", field: i % 2 == 0 ? nil : "memory", "\(i * 10)", .rate, "0.9",
                                    group: "g\(i % 2)", tenant: tenant))
        }
        mappings.append(RT.sm("s-global", .flat, "1", group: "g0"))
        mappings.append(RT.sm("s-t1", .flat, "2", group: "g0", tenant: "t1"))
        let schedule = TierSchedule(mode: .graduated, tiers: [.init(upTo: nil, unitPrice: RT.d("0.1"))])
        tiers.append(TierRule(id: "tier-global", service: "compute", schedule: schedule))
        tiers.append(TierRule(id: "tier-t2", service: "compute", schedule: schedule, tenant: "t2"))
        return try RT.book(groups: ["g0", "g1"] + (0..<12).map { "h\($0)" }, mappings: mappings,
                           thresholds: thresholds, tiers: tiers)
    }

    @Test(arguments: [nil, "t0", "t1", "t2"] as [String?])
    func aTenantsSubsetCompilesLikeTheWholeBook(tenant: String?) throws {
        let rules = try Self.book().rules
        let subset = TenantRules(rules).subset(rules, tenant: tenant)
        #expect(subset.mappings.count < rules.mappings.count)
        let whole = LiveRules(rules, at: RT.t0, scope: tenant)
        let picked = LiveRules(subset, at: RT.t0, scope: tenant)
        let a = try #require(whole.services["compute"]), b = try #require(picked.services["compute"])
        #expect(a.ruleIDs == b.ruleIDs)
        #expect(a.groupNames == b.groupNames)
        #expect(a.fieldNames == b.fieldNames)
        #expect(whole.tiers["compute"]?.id == picked.tiers["compute"]?.id)
    }

    @Test func tenantsAreThoseWithRulesOfTheirOwn() throws {
        #expect(TenantRules(try Self.book().rules).tenants == ["t0", "t1", "t2"])
    }
}
