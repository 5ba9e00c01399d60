import Testing
@testable import TallyCore

/// A tenant's rules are compiled as an overlay on the epoch's global rules
/// (`ServiceIndexBuilder`). Rating through the overlay must give exactly what the
/// straightforward definition gives: take the rules in force at the window's time for
/// that scope, let the later-created of a dated pair win, and overlay the tenant's rules
/// on the global ones by key (in place, or appended). Same price, same status, same
/// explanation (which rule wins and the order mappings apply depend on the order).
@Suite struct TenantRulesTests {
    static let early = RuleValidity(start: EventTime(micros: RT.t0.micros - 3_600_000_000),
                                    end: EventTime(micros: RT.t0.micros + 3_600_000_000))
    static let late = RuleValidity(start: EventTime(micros: RT.t0.micros + 1_800_000_000))
    static let times = [RT.t0, EventTime(micros: RT.t0.micros + 2_700_000_000), EventTime(micros: RT.t0.micros + 7_200_000_000)]

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
        // t0 replaces the global service threshold q0 (same level and group) and prices a
        // field no global rule uses; t2 has CloudKitty's dated pair on m0's key.
        thresholds.append(RT.th("q0-t0", "0", .flat, "3", group: "g0", tenant: "t0"))
        mappings.append(RT.fm("v-t0", "vcpus", "2", .rate, "1.5", group: "g1", tenant: "t0"))
        mappings.append(RT.fm("d-early", "flavor", "f0", .flat, "7", group: "g0", tenant: "t2", validity: early))
        mappings.append(RT.fm("d-late", "flavor", "f0", .flat, "8", group: "g0", tenant: "t2", validity: late))
        let schedule = TierSchedule(mode: .graduated, tiers: [.init(upTo: nil, unitPrice: RT.d("0.1"))])
        tiers.append(TierRule(id: "tier-global", service: "compute", schedule: schedule))
        tiers.append(TierRule(id: "tier-t2", service: "compute", schedule: schedule, tenant: "t2"))
        return try RT.book(groups: ["g0", "g1"] + (0..<12).map { "h\($0)" }, mappings: mappings,
                           thresholds: thresholds, tiers: tiers)
    }

    /// The definition: `tenant`'s view at `time` as a book of undated global rules.
    static func reference(_ rules: RuleSet, tenant: String, at time: EventTime) throws -> RuleBook {
        func overlay<R>(_ items: [R], owner: (R) -> String?, key: (R) -> String, flatten: (inout R) -> Void) -> [R] {
            var result = items.filter { owner($0) == nil }
            for item in items where owner(item) == tenant {
                if let i = result.firstIndex(where: { key($0) == key(item) }) { result[i] = item } else { result.append(item) }
            }
            for i in result.indices { flatten(&result[i]) }
            return result
        }
        let liveMappings = LiveRules.laterCreatedWins(rules.mappings.filter { $0.validity.contains(time) })
        var flat = rules
        flat.mappings = overlay(liveMappings, owner: \.tenant, key: { "\($0.service)/\($0.field ?? "")/\($0.value ?? "")/\($0.group ?? "")" }) {
            $0.tenant = nil; $0.validity = .always
        }
        flat.thresholds = overlay(rules.thresholds.filter { $0.validity.contains(time) }, owner: \.tenant,
                                  key: { "\($0.service)/\($0.field ?? "")/\($0.level)/\($0.group ?? "")" }) {
            $0.tenant = nil; $0.validity = .always
        }
        flat.tiers = overlay(rules.tiers.filter { $0.validity.contains(time) }, owner: \.tenant, key: \.service) {
            $0.tenant = nil; $0.validity = .always
        }
        return try RuleBook(validating: flat)
    }

    static func windows(scope: String, at time: EventTime) -> [RatingInput] {
        var result: [RatingInput] = []
        for flavor in ["f0", "f1", "f2", "f3", "f9"] {
            for memory in ["5", "15", "35", "95", "lots"] {
                for (qty, vcpus) in [("1", "2"), ("25", "1"), ("120", "2")] {
                    result.append(RT.input(qty: qty, scope: scope, at: time,
                                           [("flavor", .string, flavor), ("memory", .string, memory), ("vcpus", .int, vcpus)]))
                }
            }
        }
        return result
    }

    @Test(arguments: ["t0", "t1", "t2", "nobody"])
    func aTenantsOverlayRatesLikeTheDefinition(tenant: String) throws {
        let rules = try Self.book().rules
        let rater = Rater(book: try Self.book())
        var failed = 0
        for time in Self.times {
            let reference = Rater(book: try Self.reference(rules, tenant: tenant, at: time))
            for window in Self.windows(scope: tenant, at: time) {
                let got = rater.rate(window)
                var asGlobal = window
                asGlobal.scope = "nobody"
                let want = reference.rate(asGlobal)
                #expect(got.price == want.price && got.status == want.status, "\(tenant) at \(time.micros): \(window.description.text(at: 0))")
                #expect(got.explanation == want.explanation)
                if !got.isRated { failed += 1 }
            }
        }
        // Non-numeric memory fails only where a memory threshold is in force (t0, t2).
        #expect((failed > 0) == (tenant == "t0" || tenant == "t2"))
    }

    @Test func theDatedPairSwitchesWithinTheTenantsOverlay() throws {
        let rater = Rater(book: try Self.book())
        func flavorGroupFlat(_ time: EventTime) -> [String] {
            let result = rater.rate(RT.input(qty: "1", scope: "t2", at: time, [("flavor", .string, "f0")]))
            guard case .hashmap(let groups) = result.explanation.modules.first(where: { $0.module == .hashmap })?.detail else { return [] }
            return groups.first { $0.group == "g0" }?.mappings ?? []
        }
        #expect(flavorGroupFlat(Self.times[0]) == ["s-global", "d-early"])
        #expect(flavorGroupFlat(Self.times[1]) == ["s-global", "d-late"])
        #expect(flavorGroupFlat(Self.times[2]) == ["s-global", "d-late"])
    }

    @Test func tenantsAreThoseWithRulesOfTheirOwn() throws {
        #expect(TenantRules(try Self.book().rules).tenants == ["t0", "t1", "t2"])
    }

    /// `TenantRules` remembers the last tenant while sorting the book's rules: with tenants
    /// interleaved, in runs and alone, each still gets exactly its own rules in book order.
    @Test func interleavedTenantsKeepTheirOwnRulesInBookOrder() {
        let tenants: [String?] = ["t0", "t1", nil, "t2", "t1"]
        var mappings: [HashMapping] = [], thresholds: [HashThreshold] = [], tiers: [TierRule] = []
        let schedule = TierSchedule(mode: .graduated, tiers: [.init(upTo: nil, unitPrice: .one)])
        for i in 0..<60 {
            let tenant = tenants[(i * 7 + i / 4) % tenants.count]
            mappings.append(HashMapping(id: "m\(i)", service: "compute", type: .flat, cost: .one, tenant: tenant))
            if i % 3 == 0 {
                thresholds.append(HashThreshold(id: "h\(i)", service: "compute", level: ExactDecimal(i), type: .flat,
                                                cost: .one, tenant: tenants[(i / 3) % tenants.count]))
            }
            if i % 5 == 0 { tiers.append(TierRule(id: "r\(i)", service: "s\(i)", schedule: schedule, tenant: tenants[i % 4])) }
        }
        var rules = RuleSet(mappings: mappings, thresholds: thresholds)
        rules.tiers = tiers
        let byTenant = TenantRules(rules)
        #expect(byTenant.tenants == ["t0", "t1", "t2"])
        for t in ["t0", "t1", "t2"] {
            let own = byTenant.own(t)
            #expect(own?.mappings.map(\.id) == mappings.filter { $0.tenant == t }.map(\.id))
            #expect(own?.thresholds.map(\.id) == thresholds.filter { $0.tenant == t }.map(\.id))
            #expect(own?.tiers.map(\.id) == tiers.filter { $0.tenant == t }.map(\.id))
        }
        #expect(byTenant.own("t3") == nil)
    }
}
