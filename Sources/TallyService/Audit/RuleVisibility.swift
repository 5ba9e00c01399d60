import TallyCore

/// Tenant isolation for the rule log: global rules (no tenant) are everyone's business, a
/// tenant's rules only that tenant's readers'. Admins see everything. An event is shown to a
/// reader only if every rule it touches is global or of one of their projects (a batch that
/// also touches another tenant's rule is withheld whole: showing part of it would misstate it).
struct RuleVisibility {
    let principal: Principal
    let state: RuleLogState

    func maySee(_ change: RuleChange) -> Bool {
        principal.isAdmin || tenants(of: change).allSatisfy(principal.maySee(project:))
    }

    /// The tenants of the rules a change names: those of the item it carries and of every
    /// incarnation the fold knows under its target (an `end` names only the id).
    func tenants(of change: RuleChange) -> Set<String> {
        switch change {
        case .batch(let parts): return parts.reduce(into: []) { $0.formUnion(tenants(of: $1.change)) }
        case .create(let item), .update(let item):
            return tenants(of: item.target).union(Self.tenant(of: item).map { [$0] } ?? [])
        case .end(let target), .delete(let target): return tenants(of: target)
        case .enableModule, .disableModule, .setModulePriority: return []
        }
    }

    private func tenants(of target: RuleTarget) -> Set<String> {
        Set(state.history(of: target).flatMap(\.revisions).compactMap { Self.tenant(of: $0.item) })
    }

    static func tenant(of item: RuleItem) -> String? {
        switch item {
        case .mapping(let m): return m.tenant
        case .threshold(let t): return t.tenant
        case .tier(let t): return t.tenant
        case .group, .service, .field, .script: return nil
        }
    }

    /// The canonical tree of a rule book without the rules of tenants the caller may not see.
    func filter(book tree: CanonicalJSON) -> CanonicalJSON {
        guard !principal.isAdmin, case .object(var sections) = tree else { return tree }
        for name in ["mappings", "thresholds", "tiers"] {
            guard case .array(let rules)? = sections[name] else { continue }
            sections[name] = .array(rules.filter { rule in
                guard case .object(let members) = rule, case .string(let tenant)? = members["tenant"] else { return true }
                return principal.maySee(project: tenant)
            })
        }
        return .object(sections)
    }
}
