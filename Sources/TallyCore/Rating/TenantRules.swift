/// Where each tenant's rules sit in a rule set, so compiling the rules of one tenant
/// reads only that tenant's own rules (its overlay on the epoch's global rules), not
/// every tenant's: a 10,000-tenant book otherwise filters all of its 100,000 rules for
/// each tenant it compiles.
struct TenantRules {
    /// One tenant's own rules, in the book's (creation) order.
    struct Own {
        var mappings: [HashMapping] = []
        var thresholds: [HashThreshold] = []
        var tiers: [TierRule] = []

        init() {}

        /// `tenant`'s rules picked from the whole set (tests and one-off compiles).
        init(_ rules: RuleSet, tenant: String) {
            mappings = rules.mappings.filter { $0.tenant == tenant }
            thresholds = rules.thresholds.filter { $0.tenant == tenant }
            tiers = rules.tiers.filter { $0.tenant == tenant }
        }
    }

    private var byTenant: [String: Own] = [:]

    init(_ rules: RuleSet) {
        // Sorted into arrays first: a tenant's rules usually follow one another (created
        // together), so the last tenant's position answers them without hashing its name
        // again (`byTenant[t, default:]` hashed it per rule, SipHash, 100,000 times in a
        // 10,000-tenant book); each tenant is entered in the dictionary once at the end.
        var names: [String] = [], owns: [Own] = []
        var positions: [String: Int] = [:]
        var last: (tenant: String, position: Int)?
        func position(_ t: String) -> Int {
            if let last, last.tenant == t { return last.position }
            let p: Int
            if let known = positions[t] { p = known } else {
                p = owns.count
                names.append(t)
                owns.append(Own())
                positions[t] = p
            }
            last = (t, p)
            return p
        }
        for m in rules.mappings { if let t = m.tenant { owns[position(t)].mappings.append(m) } }
        for h in rules.thresholds { if let t = h.tenant { owns[position(t)].thresholds.append(h) } }
        for r in rules.tiers { if let t = r.tenant { owns[position(t)].tiers.append(r) } }
        byTenant = Dictionary(uniqueKeysWithValues: zip(names, owns))
    }

    /// Tenants with at least one rule of their own.
    var tenants: Set<String> { Set(byTenant.keys) }

    /// `tenant`'s own rules; nil when it has none (it prices by the global rules).
    func own(_ tenant: String) -> Own? { byTenant[tenant] }
}
