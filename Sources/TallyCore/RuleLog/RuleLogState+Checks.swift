/// Validation of one event against the state before it: CloudKitty 23's rules for dated
/// rules, references, well-formedness and uniqueness. Produces the effect to commit;
/// changes nothing itself, so writers can ask "would this be rejected?".

/// What an accepted event does to the state.
enum FoldEffect {
    /// New items (a service brings its fields), all in effect over `validity`.
    case create([RuleItem], RuleValidity)
    /// New revisions of existing items.
    case revise([PendingRevision])
    case module(RuleChange)
}

struct PendingRevision {
    var target: RuleTarget
    var item: RuleItem
    var validity: RuleValidity
    var deleted: Bool
}

typealias Rejection = RuleEventRejection

extension RuleLogState {
    func check(_ e: RuleEvent) throws(Rejection) -> FoldEffect {
        if e.id.isEmpty { throw Rejection(.invalidEvent, "the event id is empty") }
        if e.author.isEmpty { throw Rejection(.invalidEvent, "event \(e.id) has no author") }
        if e.reason.isEmpty { throw Rejection(.invalidEvent, "event \(e.id) has no reason") }
        if eventIDs.contains(e.id) { throw Rejection(.duplicateEvent, "an event with id \(e.id) was already accepted") }
        switch e.change {
        case .create(let item):
            let validity = try datedValidity(e)
            return try checkCreate(item, validity)
        case .update(let item):
            let validity = try datedValidity(e)
            return try checkUpdate(item, validity, e)
        case .end(let target):
            try checkClosingTime(e)
            return try checkClose(target, at: e.start, deleting: false, e)
        case .delete(let target):
            try checkClosingTime(e)
            return try checkClose(target, at: e.start, deleting: true, e)
        case .enableModule, .disableModule, .setModulePriority:
            try checkNoEnd(e)
            try checkStart(e)
            return .module(e.change)
        }
    }

    // MARK: Times

    /// The validity a create or update gives, after the past-start and order checks.
    func datedValidity(_ e: RuleEvent) throws(Rejection) -> RuleValidity {
        try checkStart(e)
        if let end = e.end, end <= e.start {
            throw Rejection(.endBeforeStart, "end \(iso(end)) is not after start \(iso(e.start))")
        }
        return RuleValidity(start: e.start, end: e.end)
    }

    func checkStart(_ e: RuleEvent) throws(Rejection) {
        if e.start < e.recordedAt && !e.force {
            throw Rejection(.pastStartWithoutForce, "start \(iso(e.start)) is before the change was recorded "
                + "(\(iso(e.recordedAt))); set force to change the past on purpose")
        }
    }

    func checkNoEnd(_ e: RuleEvent) throws(Rejection) {
        if let end = e.end {
            throw Rejection(.invalidEvent, "'end' (\(iso(end))) is not allowed on a \(e.change.operation) change: "
                + "it takes effect at 'start'")
        }
    }

    /// End and delete act at `start`, which must not be in the past (force or not).
    func checkClosingTime(_ e: RuleEvent) throws(Rejection) {
        try checkNoEnd(e)
        if e.start < e.recordedAt {
            throw Rejection(.endInPast, "\(e.change.target.map(String.init(describing:)) ?? "the item") would end at "
                + "\(iso(e.start)), before the change was recorded (\(iso(e.recordedAt))): only an end in the future may be set")
        }
    }

    // MARK: Create and update

    func checkCreate(_ item: RuleItem, _ v: RuleValidity) throws(Rejection) -> FoldEffect {
        switch item {
        case .group(let name):
            if name.isEmpty { throw Rejection(.invalidRule, "a group name is empty") }
            if items[.group(name)] != nil { throw Rejection(.duplicate, "group '\(name)' already exists (names are never reused)") }
            return .create([item], v)
        case .service(let declaration):
            if declaration.name.isEmpty { throw Rejection(.invalidRule, "a service name is empty") }
            if items[.service(declaration.name)] != nil {
                throw Rejection(.duplicate, "service '\(declaration.name)' already exists (names are never reused)")
            }
            var seen: Set<String> = []
            for field in declaration.fields {
                if field.isEmpty { throw Rejection(.invalidRule, "service '\(declaration.name)' has an empty field name") }
                if !seen.insert(field).inserted {
                    throw Rejection(.invalidRule, "service '\(declaration.name)' declares field '\(field)' twice")
                }
            }
            return .create([item] + declaration.fields.map { .field(service: declaration.name, name: $0) }, v)
        case .field(let service, let name):
            if name.isEmpty { throw Rejection(.invalidRule, "a field name is empty") }
            try requireDeclaration(.service(service), covering: v, .unknownService)
            if items[.field(service: service, name: name)] != nil {
                throw Rejection(.duplicate, "field '\(name)' of service '\(service)' already exists (names are never reused)")
            }
            return .create([item], v)
        case .mapping, .threshold, .tier, .script:
            let id = Self.ruleID(item)
            if let kind = ruleKinds[id] {
                throw Rejection(.duplicate, "a \(kind.rawValue) with id '\(id)' already exists (ids are never reused, even after delete)")
            }
            try checkRule(item.with(validity: v), v, replacing: nil)
            return .create([item], v)
        }
    }

    func checkUpdate(_ item: RuleItem, _ v: RuleValidity, _ e: RuleEvent) throws(Rejection) -> FoldEffect {
        guard !item.kind.isDeclaration else {
            throw Rejection(.invalidEvent, "a \(item.kind.rawValue) has no content to update: end it and create another")
        }
        let id = Self.ruleID(item)
        let current = try existing(item.target).current
        if current.deleted { throw Rejection(.alreadyDeleted, "\(item.target) was deleted") }
        if current.validity.start <= e.recordedAt {
            throw Rejection(.alreadyStarted, "\(item.target) started at \(iso(current.validity.start)), before the change "
                + "was recorded (\(iso(e.recordedAt))): only an end in the future may be set; end it and create a new rule")
        }
        try checkRule(item.with(validity: v), v, replacing: id)
        return .revise([PendingRevision(target: item.target, item: item.with(validity: v), validity: v, deleted: false)])
    }

    /// References, well-formedness and CloudKitty's uniqueness for a rule over `v`.
    func checkRule(_ item: RuleItem, _ v: RuleValidity, replacing: String?) throws(Rejection) {
        var set = RuleSet()
        func attach(service: String, field: String?, group: String?) throws(Rejection) {
            try requireDeclaration(.service(service), covering: v, .unknownService)
            if let field { try requireDeclaration(.field(service: service, name: field), covering: v, .unknownField) }
            if let group { try requireDeclaration(.group(group), covering: v, .unknownGroup) }
            set.services = [ServiceDeclaration(name: service, fields: field.map { [$0] } ?? [])]
            set.groups = group.map { [$0] } ?? []
        }
        switch item {
        case .mapping(let m): try attach(service: m.service, field: m.field, group: m.group); set.mappings = [m]
        case .threshold(let t): try attach(service: t.service, field: t.field, group: t.group); set.thresholds = [t]
        case .tier(let t): set.tiers = [t]
        case .script(let s): set.scripts = [s]
        case .group, .service, .field: return
        }
        do { _ = try RuleBook(validating: set) } catch let invalid as RuleSetValidationError {
            throw Rejection(.invalidRule, invalid.problems.map(\.message).joined(separator: "; "))
        } catch {
            throw Rejection(.invalidRule, "\(error)")
        }
        guard let key = Self.clashKey(item) else { return }
        for other in clashIndex[key] ?? [] where other != replacing {
            guard let kind = ruleKinds[other], let revision = items[.rule(kind, other)]?.current else { continue }
            if revision.everApplies && revision.validity.overlaps(v) {
                throw Rejection(.duplicate, "\(item.target) would be in force at the same time as \(kind.rawValue) '\(other)' "
                    + "(\(describe(revision.validity))) with the same key; end that one first")
            }
        }
    }

    /// The declaration must exist and be in effect over the whole of `v`.
    func requireDeclaration(_ target: RuleTarget, covering v: RuleValidity, _ code: Rejection.Code) throws(Rejection) {
        guard let declared = items[target]?.current else { throw Rejection(code, "there is no \(target)") }
        let d = declared.validity
        let endsInside = d.end.map { end in v.end.map { $0 > end } ?? true } ?? false
        if !declared.everApplies || d.start > v.start || endsInside {
            throw Rejection(code, "\(target) is in effect \(describe(d)), which does not cover the rule's \(describe(v))")
        }
    }

    func existing(_ target: RuleTarget) throws(Rejection) -> RuleItemHistory {
        if case .rule(let kind, let id) = target {
            guard let actual = ruleKinds[id] else { throw Rejection(.unknownRule, "there is no rule with id '\(id)'") }
            guard actual == kind else { throw Rejection(.unknownRule, "'\(id)' is a \(actual.rawValue), not a \(kind.rawValue)") }
        }
        guard let history = items[target] else {
            let code: Rejection.Code = target.kind == .group ? .unknownGroup : target.kind == .service ? .unknownService : .unknownField
            throw Rejection(code, "there is no \(target)")
        }
        return history
    }

    static func ruleID(_ item: RuleItem) -> String {
        if case .rule(_, let id) = item.target { return id }
        return ""
    }

    /// CloudKitty's uniqueness key (its 409): same as `RuleSetChecker.checkLiveDuplicates`.
    static func clashKey(_ item: RuleItem) -> String? {
        let sep = "\u{1F}"
        switch item {
        case .mapping(let m) where m.field == nil:
            return ["m", m.service, m.group ?? "", m.tenant ?? ""].joined(separator: sep)
        case .mapping(let m):
            return ["v", m.service, m.field ?? "", m.value ?? "", m.group ?? "", m.tenant ?? ""].joined(separator: sep)
        case .threshold(let t):
            return ["t", t.service, t.field ?? "", t.level.canonicalText, t.group ?? "", t.tenant ?? ""].joined(separator: sep)
        case .tier(let t): return ["r", t.service, t.tenant ?? ""].joined(separator: sep)
        default: return nil
        }
    }
}

func iso(_ t: EventTime) -> String {
    t == .distantPast ? "the beginning" : t == .distantFuture ? "the end of time" : Timestamps.iso8601(t)
}

func describe(_ v: RuleValidity) -> String {
    "from \(iso(v.start)) " + (v.end.map { "until \(iso($0))" } ?? "with no end")
}
