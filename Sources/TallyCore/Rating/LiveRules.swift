/// The rules in force for one scope during one epoch (an interval between rule starts
/// and ends), compiled for matching: global rules overlaid by that tenant's rules.

/// Rule data the per-window loop reads. Trivial (no references), so reading it costs
/// no reference counting; the rule's id lives in `ServiceIndex.ruleIDs[rule]`.
struct CompiledMapping {
    let rule: Int32
    let group: Int32
    let type: CostType
    let cost: ExactDecimal
}

struct CompiledThreshold {
    let rule: Int32
    let group: Int32
    let level: ExactDecimal
    let type: CostType
    let cost: ExactDecimal
}

/// Everything in force for a (epoch, scope): hashmap services, tier rules, scripts.
final class LiveRules {
    let services: [String: ServiceIndex]
    let tiers: [String: TierRule]
    let scripts: [ScriptRule]

    /// Compiles `rules` as in force at `time` for `scope` (nil: global rules only).
    init(_ rules: RuleSet, at time: EventTime, scope: String?) {
        func live<R>(_ items: [R], validity: (R) -> RuleValidity, tenant: (R) -> String?) -> [R] {
            items.filter { validity($0).contains(time) && (tenant($0) == nil || tenant($0) == scope) }
        }
        let liveMappings = Self.laterCreatedWins(live(rules.mappings, validity: \.validity, tenant: \.tenant))
        let mappings = Self.overlay(liveMappings, tenant: \.tenant) {
            "\($0.service)\u{1F}\($0.field ?? "")\u{1F}\($0.value ?? "")\u{1F}\($0.group ?? "")"
        }
        let thresholds = Self.overlay(live(rules.thresholds, validity: \.validity, tenant: \.tenant), tenant: \.tenant) {
            "\($0.service)\u{1F}\($0.field ?? "")\u{1F}\($0.level.canonicalText)\u{1F}\($0.group ?? "")"
        }
        var services: [String: ServiceIndex] = [:]
        for declaration in rules.services {
            services[declaration.name] = Self.compile(declaration, mappings: mappings, thresholds: thresholds)
        }
        self.services = services
        var tiers: [String: TierRule] = [:]
        for rule in Self.overlay(live(rules.tiers, validity: \.validity, tenant: \.tenant), tenant: \.tenant, key: \.service) {
            tiers[rule.service] = rule
        }
        self.tiers = tiers
        self.scripts = rules.scripts.filter { $0.validity.contains(time) }
    }

    /// Global rules, then each tenant rule replaces the global one with the same key
    /// (in place, keeping its order) or is added after them.
    static func overlay<R>(_ items: [R], tenant: (R) -> String?, key: (R) -> String) -> [R] {
        var result = items.filter { tenant($0) == nil }
        var position: [String: Int] = [:]
        for (i, item) in result.enumerated() { position[key(item)] = i }
        for item in items where tenant(item) != nil {
            if let i = position[key(item)] { result[i] = item } else {
                position[key(item)] = result.count
                result.append(item)
            }
        }
        return result
    }

    static func compile(_ service: ServiceDeclaration, mappings: [HashMapping], thresholds: [HashThreshold]) -> ServiceIndex? {
        let ownMappings = mappings.filter { $0.service == service.name }
        let ownThresholds = thresholds.filter { $0.service == service.name }
        if ownMappings.isEmpty && ownThresholds.isEmpty { return nil }
        var groupNames: [String?] = []
        var groupIndex: [String?: Int32] = [:]
        var ruleIDs: [String] = []
        func group(_ name: String?) -> Int32 {
            if let i = groupIndex[name] { return i }
            groupIndex[name] = Int32(groupNames.count)
            groupNames.append(name)
            return Int32(groupNames.count - 1)
        }
        func rule(_ id: String) -> Int32 {
            ruleIDs.append(id)
            return Int32(ruleIDs.count - 1)
        }
        func mapping(_ m: HashMapping) -> CompiledMapping {
            CompiledMapping(rule: rule(m.id), group: group(m.group), type: m.type, cost: m.cost)
        }
        func threshold(_ t: HashThreshold) -> CompiledThreshold {
            CompiledThreshold(rule: rule(t.id), group: group(t.group), level: t.level, type: t.type, cost: t.cost)
        }
        var builder = ServiceIndex.Builder()
        builder.serviceMappings = ownMappings.filter { $0.field == nil }.map(mapping)
        builder.serviceThresholds = ownThresholds.filter { $0.field == nil }.map(threshold)
        for name in service.fields {
            var byValue: [(String, [CompiledMapping])] = []
            var position: [String: Int] = [:]
            for m in ownMappings where m.field == name {
                let value = m.value ?? ""
                if let i = position[value] { byValue[i].1.append(mapping(m)) } else {
                    position[value] = byValue.count
                    byValue.append((value, [mapping(m)]))
                }
            }
            let fieldThresholds = ownThresholds.filter { $0.field == name }.map(threshold)
            if !byValue.isEmpty || !fieldThresholds.isEmpty {
                builder.addField(name: name, byValue: byValue, thresholds: fieldThresholds)
            }
        }
        return ServiceIndex(builder, groupNames: groupNames, ruleIDs: ruleIDs)
    }
}
