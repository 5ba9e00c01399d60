import TallyCore

/// The hashmap module as CloudKitty's API shows it, read from the fold of the rule log:
/// services, fields, groups, mappings and thresholds with their API ids, validity, audit
/// fields and soft-delete marks. Built per request from `RuleLogState` (rule logs are small).
struct HashmapCatalog {
    /// One incarnation of a declaration (service, field or group).
    struct Declaration {
        var id: String
        var target: RuleTarget
        var name: String
        var validity: RuleValidity
        var deleted: Bool
    }

    /// One incarnation of a mapping or threshold.
    struct Rule: AuditedRule {
        var apiID: String
        var ruleID: String
        var kind: RuleItemKind
        var mapping: HashMapping?
        var threshold: HashThreshold?
        var validity: RuleValidity
        var deleted: Bool
        var created: RuleAuditEntry?
        var updated: RuleAuditEntry?
        var deletedBy: RuleAuditEntry?

        var service: String { mapping?.service ?? threshold!.service }
        var field: String? { mapping?.field ?? threshold?.field }
        var group: String? { mapping?.group ?? threshold?.group }
        var tenant: String? { mapping?.tenant ?? threshold?.tenant }
        var auditDescription: String? { created?.reason }
    }

    var services: [Declaration] = []
    var fields: [Declaration] = []
    var groups: [Declaration] = []
    var rules: [Rule] = []
    let now: EventTime

    init(state: RuleLogState, now: EventTime) {
        self.now = now
        for target in state.itemTargets {
            // The event that ended the previous incarnation of a threshold (not deleted): an
            // update publishes that end and the new content's create as one event.
            var thresholdEndedBy: String?
            for history in state.history(of: target) {
                let creator = history.audit.first?.eventID ?? ""
                let current = history.current
                switch target {
                case .service(let name):
                    services.append(Declaration(id: DerivedID.uuid("service", name, creator), target: target, name: name,
                                                validity: current.validity, deleted: current.deleted))
                case .field(let service, let name):
                    fields.append(Declaration(id: DerivedID.uuid("field", service, name, creator), target: target, name: name,
                                              validity: current.validity, deleted: current.deleted))
                case .group(let name):
                    groups.append(Declaration(id: DerivedID.uuid("group", name, creator), target: target, name: name,
                                              validity: current.validity, deleted: current.deleted))
                case .rule(let kind, let id) where kind == .mapping || kind == .threshold:
                    var rule = Rule(apiID: DerivedID.uuid(kind.rawValue, id, creator), ruleID: id, kind: kind,
                                    validity: current.validity, deleted: current.deleted,
                                    created: history.audit.first,
                                    updated: history.audit.dropFirst().last { $0.operation != "delete" },
                                    deletedBy: current.deleted ? history.audit.last { $0.operation == "delete" } : nil)
                    if case .mapping(let m) = current.item { rule.mapping = m }
                    if case .threshold(let t) = current.item { rule.threshold = t }
                    // CloudKitty's threshold has no dates: an update from now on is the same
                    // threshold, under its first id and with its first creation.
                    if kind == .threshold, let endedBy = thresholdEndedBy, endedBy == creator, let previous = rules.popLast() {
                        rule.apiID = previous.apiID
                        rule.created = previous.created
                        rule.updated = history.audit.last { $0.operation != "delete" }
                    }
                    thresholdEndedBy = current.deleted ? nil : history.audit.last { $0.operation == "end" }?.eventID
                    rules.append(rule)
                case .rule: continue  // tiers and scripts are not hashmap items
                }
            }
        }
    }

    /// Whether a declaration is live: not deleted and not ended by now.
    func isLive(_ d: Declaration) -> Bool { !d.deleted && (d.validity.end.map { $0 > now } ?? true) }

    var liveServices: [Declaration] { services.filter(isLive) }
    var liveGroups: [Declaration] { groups.filter(isLive) }
    var liveFields: [Declaration] { fields.filter(isLive) }

    /// The incarnation of a declaration a rule refers to: the one whose validity holds the
    /// rule's start, else the latest.
    func declaration(_ target: RuleTarget, at start: EventTime) -> Declaration? {
        let pool: [Declaration]
        switch target {
        case .service: pool = services
        case .field: pool = fields
        case .group: pool = groups
        case .rule: return nil
        }
        let candidates = pool.filter { $0.target == target }
        return candidates.last { $0.validity.contains(start) } ?? candidates.last
    }

    func serviceID(of rule: Rule) -> String? {
        rule.field == nil ? declaration(.service(rule.service), at: rule.validity.start)?.id : nil
    }
    func fieldID(of rule: Rule) -> String? {
        rule.field.flatMap { declaration(.field(service: rule.service, name: $0), at: rule.validity.start)?.id }
    }
    func groupID(of rule: Rule) -> String? {
        rule.group.flatMap { declaration(.group($0), at: rule.validity.start)?.id }
    }

    func service(id: String) -> Declaration? { services.first { $0.id == id } }
    func field(id: String) -> Declaration? { fields.first { $0.id == id } }
    func group(id: String) -> Declaration? { groups.first { $0.id == id } }
    func rule(apiID: String, kind: RuleItemKind) -> Rule? { rules.last { $0.apiID == apiID && $0.kind == kind } }

    /// The service id of a field (the service incarnation live when the field started).
    func serviceID(ofField field: Declaration) -> String? {
        guard case .field(let service, _) = field.target else { return nil }
        return declaration(.service(service), at: field.validity.start)?.id
    }
}
