/// The rules in force for one scope during one epoch (an interval between rule starts
/// and ends), compiled for matching: global rules overlaid by that tenant's rules.

/// Rule data the per-window loop reads. Trivial (no references), so reading it costs
/// no reference counting; the rule's id lives in `ServiceIndex.ruleIDs[rule]`.
/// `costKey` and `levelKey` order the values in one integer compare (`OrderKey`).
struct CompiledMapping {
    let rule: Int32
    let group: Int32
    let type: CostType
    let cost: ExactDecimal
    let costKey: Int128

    init(rule: Int32, group: Int32, type: CostType, cost: ExactDecimal) {
        self.rule = rule; self.group = group; self.type = type; self.cost = cost
        costKey = OrderKey.of(cost)
    }
}

struct CompiledThreshold {
    let rule: Int32
    let group: Int32
    let level: ExactDecimal
    let type: CostType
    let cost: ExactDecimal
    let levelKey: Int128

    init(rule: Int32, group: Int32, level: ExactDecimal, type: CostType, cost: ExactDecimal) {
        self.rule = rule; self.group = group; self.level = level; self.type = type; self.cost = cost
        levelKey = OrderKey.of(level)
    }
}

/// Everything in force for a (epoch, scope): hashmap services, tier rules, scripts.
/// The global rules of an epoch are compiled once; a tenant's are an overlay on them
/// (`ServiceIndex`), compiled from that tenant's own rules only.
final class LiveRules {
    // Read per window, so first: with the object's header they share one cache line,
    // which is all a window of a tenant with one service reads of this object.
    /// No tiers and no scripts in force: only the hashmap can price (`Rater`'s short path).
    let onlyHashmap: Bool
    /// The first service in name order and its tables (`ServiceIndex.lookupPointer`).
    let firstName: String
    let firstLookup: UnsafePointer<ServiceIndex.Lookup>?

    let services: [String: ServiceIndex]
    let tiers: [String: TierRule]
    let scripts: [ScriptRule]
    /// The declared services by name, for compiling tenant overlays.
    let declarations: [String: ServiceDeclaration]

    /// The other services as one array of (name, tables): with a handful of services,
    /// comparing names (short strings compare as two words) beats hashing them, and one
    /// array is one cache line to read (`services` owns the indexes).
    private struct Named { let name: String; let lookup: UnsafePointer<ServiceIndex.Lookup> }
    private let named: [Named]

    private init(services: [String: ServiceIndex], tiers: [String: TierRule], scripts: [ScriptRule],
                 declarations: [String: ServiceDeclaration]) {
        self.services = services; self.tiers = tiers; self.scripts = scripts; self.declarations = declarations
        onlyHashmap = tiers.isEmpty && scripts.isEmpty
        let sorted = services.sorted { $0.key < $1.key }.map { Named(name: $0.key, lookup: UnsafePointer($0.value.lookupPointer)) }
        firstName = sorted.first?.name ?? ""
        firstLookup = sorted.first?.lookup
        named = Array(sorted.dropFirst())
    }

    /// The hashmap index of `name`, if it has rules in force.
    func service(_ name: String) -> ServiceIndex? { services[name] }

    /// The tables of `name`'s index, if it has rules in force: valid for this object's life.
    @inline(__always) func serviceLookup(_ name: String) -> UnsafePointer<ServiceIndex.Lookup>? {
        guard let firstLookup else { return nil }
        if name == firstName { return firstLookup }
        if named.count > 8 { return services[name].map { UnsafePointer($0.lookupPointer) } }
        return named.withUnsafeBufferPointer { list in
            for entry in list where entry.name == name { return entry.lookup }
            return nil
        }
    }

    /// Compiles `rules` as in force at `time` for `scope` (nil: global rules only).
    convenience init(_ rules: RuleSet, at time: EventTime, scope: String?) {
        let global = LiveRules(global: rules, at: time)
        guard let scope else {
            self.init(services: global.services, tiers: global.tiers, scripts: global.scripts, declarations: global.declarations)
            return
        }
        let own = LiveRules(tenant: TenantRules.Own(rules, tenant: scope), at: time, over: global)
        self.init(services: own.services, tiers: own.tiers, scripts: own.scripts, declarations: own.declarations)
    }

    /// The global (tenant-free) rules of `rules` in force at `time`.
    convenience init(global rules: RuleSet, at time: EventTime) {
        let mappings = Self.laterCreatedWins(rules.mappings.filter { $0.tenant == nil && $0.validity.contains(time) })
        let thresholds = rules.thresholds.filter { $0.tenant == nil && $0.validity.contains(time) }
        let byService = Self.byService(mappings, thresholds)
        var services: [String: ServiceIndex] = [:]
        var declarations: [String: ServiceDeclaration] = [:]
        for declaration in rules.services {
            declarations[declaration.name] = declaration
            let own = byService[declaration.name]
            services[declaration.name] = ServiceIndexBuilder.compile(declaration, base: nil, mappings: own?.0 ?? [],
                                                                     thresholds: own?.1 ?? [])
        }
        var tiers: [String: TierRule] = [:]
        for rule in rules.tiers where rule.tenant == nil && rule.validity.contains(time) { tiers[rule.service] = rule }
        self.init(services: services, tiers: tiers, scripts: rules.scripts.filter { $0.validity.contains(time) },
                  declarations: declarations)
    }

    /// `global` overlaid by one tenant's own rules in force at `time`: each replaces the
    /// global rule with the same key (in place, keeping its order) or is added after them.
    convenience init(tenant own: TenantRules.Own, at time: EventTime, over global: LiveRules) {
        let mappings = Self.laterCreatedWins(own.mappings.filter { $0.validity.contains(time) })
        let thresholds = own.thresholds.filter { $0.validity.contains(time) }
        var services = global.services
        for (name, rules) in Self.byService(mappings, thresholds) {
            guard let declaration = global.declarations[name] else { continue }  // validation refuses these
            services[name] = ServiceIndexBuilder.compile(declaration, base: global.services[name],
                                                         mappings: rules.0, thresholds: rules.1)
        }
        var tiers = global.tiers
        for rule in own.tiers where rule.validity.contains(time) { tiers[rule.service] = rule }
        self.init(services: services, tiers: tiers, scripts: global.scripts, declarations: global.declarations)
    }

    private static func byService(_ mappings: [HashMapping], _ thresholds: [HashThreshold])
        -> [String: ([HashMapping], [HashThreshold])] {
        // The usual tenant prices one service: its rules as they are, without hashing
        // the service's name once per rule.
        if let service = mappings.first?.service ?? thresholds.first?.service,
           mappings.allSatisfy({ $0.service == service }), thresholds.allSatisfy({ $0.service == service }) {
            return [service: (mappings, thresholds)]
        }
        var result: [String: ([HashMapping], [HashThreshold])] = [:]
        for m in mappings { result[m.service, default: ([], [])].0.append(m) }
        for t in thresholds { result[t.service, default: ([], [])].1.append(t) }
        return result
    }
}
