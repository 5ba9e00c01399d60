/// Where each tenant's rules sit in a rule set, so compiling the rules of one tenant
/// reads the global rules and that tenant's own, not every tenant's: a 10,000-tenant
/// book otherwise filters all of its 100,000 rules for each tenant it compiles.
struct TenantRules {
    private struct Positions {
        var global: [Int] = []
        var byTenant: [String: [Int]] = [:]

        init<R>(_ items: [R], tenant: (R) -> String?) {
            for (i, item) in items.enumerated() {
                if let t = tenant(item) { byTenant[t, default: []].append(i) } else { global.append(i) }
            }
        }

        /// The global rules and `tenant`'s, in the book's order (both lists ascend).
        func pick<R>(_ items: [R], tenant: String?) -> [R] {
            let own = tenant.flatMap { byTenant[$0] } ?? []
            var result: [R] = []
            result.reserveCapacity(global.count + own.count)
            var g = 0, o = 0
            while g < global.count || o < own.count {
                if o == own.count || (g < global.count && global[g] < own[o]) { result.append(items[global[g]]); g += 1 }
                else { result.append(items[own[o]]); o += 1 }
            }
            return result
        }
    }

    private let mappings: Positions
    private let thresholds: Positions
    private let tiers: Positions
    /// Tenants with at least one rule of their own.
    let tenants: Set<String>

    init(_ rules: RuleSet) {
        mappings = Positions(rules.mappings, tenant: \.tenant)
        thresholds = Positions(rules.thresholds, tenant: \.tenant)
        tiers = Positions(rules.tiers, tenant: \.tenant)
        tenants = Set(mappings.byTenant.keys).union(thresholds.byTenant.keys).union(tiers.byTenant.keys)
    }

    /// `rules` with only the global rules and `tenant`'s (nil: global only), in the same
    /// order: what `LiveRules` keeps for that tenant from the whole set, so the compiled
    /// rules and which rule wins are unchanged.
    func subset(_ rules: RuleSet, tenant: String?) -> RuleSet {
        var subset = rules
        subset.mappings = mappings.pick(rules.mappings, tenant: tenant)
        subset.thresholds = thresholds.pick(rules.thresholds, tenant: tenant)
        subset.tiers = tiers.pick(rules.tiers, tenant: tenant)
        return subset
    }
}
