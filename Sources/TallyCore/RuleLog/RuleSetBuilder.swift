/// Assembles a `RuleSet` from rule-log items in log order: the one place that knows
/// how each kind of item lands in a rule set (fields join their declared service).
struct RuleSetBuilder {
    private(set) var set = RuleSet()
    private var servicePosition: [String: Int] = [:]

    mutating func add(_ item: RuleItem) {
        switch item {
        case .group(let name): set.groups.append(name)
        case .service(let declaration):
            servicePosition[declaration.name] = set.services.count
            set.services.append(ServiceDeclaration(name: declaration.name))
        case .field(let service, let name):
            if let i = servicePosition[service] { set.services[i].fields.append(name) }
        case .mapping(let m): set.mappings.append(m)
        case .threshold(let t): set.thresholds.append(t)
        case .tier(let t): set.tiers.append(t)
        case .script(let s): set.scripts.append(s)
        }
    }
}
