/// A problem found while validating a rule set: which rule, and what is wrong with it.
public struct RuleProblem: Sendable, Hashable, CustomStringConvertible {
    /// The rule's id, or a path such as "group T" or "service compute/field flavor".
    public var rule: String
    public var message: String
    public init(rule: String, message: String) { self.rule = rule; self.message = message }
    public var description: String { "\(rule): \(message)" }
}

/// Thrown by `RuleBook(validating:)` with every problem found, not just the first.
public struct RuleSetValidationError: Error, Sendable, CustomStringConvertible {
    public var problems: [RuleProblem]
    public var description: String {
        "invalid rule set (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A validated rule set: every reference resolves, every rule is well formed, and no two
/// rules that CloudKitty would refuse (HTTP 409) are in force at the same time.
public struct RuleBook: Sendable, Hashable {
    public let rules: RuleSet

    public init(validating rules: RuleSet) throws {
        var checker = RuleSetChecker(rules)
        checker.checkAll()
        if !checker.problems.isEmpty { throw RuleSetValidationError(problems: checker.problems) }
        self.rules = rules
    }

    /// The enabled modules, highest priority first; equal priorities by module name.
    public var moduleOrder: [RatingModuleKind] {
        RatingModuleKind.allCases
            .filter { rules.setting(for: $0).enabled }
            .sorted {
                let a = rules.setting(for: $0).priority, b = rules.setting(for: $1).priority
                return a != b ? a > b : $0.rawValue < $1.rawValue
            }
    }
}

/// Collects the problems of a rule set.
struct RuleSetChecker {
    let rules: RuleSet
    var problems: [RuleProblem] = []
    private var groups: Set<String> = []
    private var fieldsByService: [String: Set<String>] = [:]

    init(_ rules: RuleSet) { self.rules = rules }

    mutating func problem(_ rule: String, _ message: String) { problems.append(RuleProblem(rule: rule, message: message)) }

    /// `liveDuplicates` false: skip the pairwise clash search (the rule log's fold checks
    /// one rule at a time, where there is no pair, against its own clash index).
    mutating func checkAll(liveDuplicates: Bool = true) {
        checkDeclarations()
        checkIDs()
        for m in rules.mappings { checkMapping(m) }
        for t in rules.thresholds { checkThreshold(t) }
        for t in rules.tiers { checkTier(t) }
        for s in rules.scripts where s.source.isEmpty { problem(s.id, "script has no source") }
        if liveDuplicates { checkLiveDuplicates() }
    }

    mutating func checkDeclarations() {
        for g in rules.groups {
            if g.isEmpty { problem("groups", "a group name is empty") }
            if !groups.insert(g).inserted { problem("group \(g)", "declared twice") }
        }
        for s in rules.services {
            if s.name.isEmpty { problem("services", "a service name is empty") }
            if fieldsByService[s.name] != nil { problem("service \(s.name)", "declared twice") }
            var fields: Set<String> = []
            for f in s.fields where !fields.insert(f).inserted { problem("service \(s.name)/field \(f)", "declared twice") }
            fieldsByService[s.name] = fields
        }
    }

    mutating func checkIDs() {
        var seen: Set<String> = []
        let ids = rules.mappings.map(\.id) + rules.thresholds.map(\.id) + rules.tiers.map(\.id) + rules.scripts.map(\.id)
        for id in ids {
            if id.isEmpty { problem("(unnamed rule)", "every rule needs a non-empty id") }
            else if !seen.insert(id).inserted { problem(id, "rule id used more than once") }
        }
    }

    mutating func checkAttachment(_ id: String, service: String, field: String?, group: String?, validity: RuleValidity) {
        if let fields = fieldsByService[service] {
            if let field, !fields.contains(field) { problem(id, "unknown field '\(field)' of service '\(service)'") }
        } else {
            problem(id, "unknown service '\(service)'")
        }
        if let group, !groups.contains(group) { problem(id, "unknown group '\(group)'") }
        if let end = validity.end, end <= validity.start { problem(id, "end is not after start") }
    }

    mutating func checkTenant(_ id: String, _ tenant: String?) {
        if tenant == "" { problem(id, "tenant id is empty (omit it for a global rule)") }
    }

    mutating func checkMapping(_ m: HashMapping) {
        checkAttachment(m.id, service: m.service, field: m.field, group: m.group, validity: m.validity)
        checkTenant(m.id, m.tenant)
        if m.field == nil && m.value != nil { problem(m.id, "a service mapping cannot have a value") }
        if m.field != nil && m.value == nil { problem(m.id, "a field mapping needs a value") }
    }

    mutating func checkThreshold(_ t: HashThreshold) {
        checkAttachment(t.id, service: t.service, field: t.field, group: t.group, validity: t.validity)
        checkTenant(t.id, t.tenant)
    }

    mutating func checkTier(_ t: TierRule) {
        if let end = t.validity.end, end <= t.validity.start { problem(t.id, "end is not after start") }
        checkTenant(t.id, t.tenant)
        let s = t.schedule
        if s.freeAllowance.isNegative { problem(t.id, "free allowance is negative") }
        if s.minimumCharge.isNegative { problem(t.id, "minimum charge is negative") }
        if case .fixed(let seconds, _) = t.cycle, seconds <= 0 { problem(t.id, "cycle length must be positive") }
        if s.mode == .package {
            if s.packageSize <= .zero { problem(t.id, "package size must be positive") }
            return
        }
        if s.tiers.isEmpty { problem(t.id, "\(s.mode.rawValue) pricing needs at least one tier") }
        var previous = ExactDecimal.zero
        for (i, tier) in s.tiers.enumerated() {
            guard let bound = tier.upTo else {
                if i != s.tiers.count - 1 { problem(t.id, "only the last tier may be unbounded (tier \(i + 1))") }
                continue
            }
            if bound <= previous { problem(t.id, "tier \(i + 1) bound \(bound) is not above the previous bound") }
            previous = bound
        }
        if let last = s.tiers.last, last.upTo != nil { problem(t.id, "the last tier must be unbounded (no up_to)") }
    }

    /// CloudKitty refuses a second live rule with the same key (409); so does this.
    mutating func checkLiveDuplicates() {
        // Declaration order is creation order: for mappings, a later open-ended one may
        // start inside an earlier bounded one (CloudKitty accepts it; `supersedesLater`).
        func clash<R>(_ items: [R], kind: String, key: (R) -> String, validity: (R) -> RuleValidity, id: (R) -> String,
                      cloudKittyOverlap: Bool = false) {
            var byKey: [String: [R]] = [:]
            for item in items { byKey[key(item), default: []].append(item) }
            for (_, group) in byKey where group.count > 1 {
                for i in 0..<group.count {
                    for j in (i + 1)..<group.count where validity(group[i]).overlaps(validity(group[j])) {
                        if cloudKittyOverlap && validity(group[j]).supersedesLater(validity(group[i])) { continue }
                        problem(id(group[j]), "\(kind) in force at the same time as '\(id(group[i]))'")
                    }
                }
            }
        }
        let sep = "\u{1F}"
        clash(rules.mappings.filter { $0.field == nil }, kind: "second service mapping for the same service, group and tenant",
              key: { [$0.service, $0.group ?? "", $0.tenant ?? ""].joined(separator: sep) }, validity: \.validity, id: \.id,
              cloudKittyOverlap: true)
        clash(rules.mappings.filter { $0.field != nil }, kind: "duplicate value for the same field, group and tenant",
              key: { [$0.service, $0.field!, $0.value ?? "", $0.group ?? "", $0.tenant ?? ""].joined(separator: sep) },
              validity: \.validity, id: \.id, cloudKittyOverlap: true)
        clash(rules.thresholds, kind: "duplicate threshold level for the same service/field, group and tenant",
              key: { [$0.service, $0.field ?? "", $0.level.canonicalText, $0.group ?? "", $0.tenant ?? ""].joined(separator: sep) },
              validity: \.validity, id: \.id)
        clash(rules.tiers, kind: "second tier schedule for the same service and tenant",
              key: { [$0.service, $0.tenant ?? ""].joined(separator: sep) }, validity: \.validity, id: \.id)
    }
}
