/// What one rule event changes. Rules and declarations are "items"; an item is named
/// by a `RuleTarget` (its kind and id). Docs: docs/RULE-LOG.md.

/// The kinds of item the rule log manages.
public enum RuleItemKind: String, Sendable, Hashable, CaseIterable {
    case group, service, field, mapping, threshold, tier, script

    /// Groups, services and fields are declarations: names that rules refer to.
    public var isDeclaration: Bool { self == .group || self == .service || self == .field }
}

/// An item's content, as created or updated. The payload's own `validity` is ignored:
/// the event's `start` and `end` say when the item is in effect (the fold sets it).
public enum RuleItem: Sendable, Hashable {
    case group(String)
    /// A service and the fields declared with it (each field becomes its own item).
    case service(ServiceDeclaration)
    case field(service: String, name: String)
    // The rules' payloads are boxed: a mapping is ~170 bytes and a threshold ~200 (two
    // 16-byte-aligned decimals), and the fold moves an item through the decoder, the
    // event, the check, the effect and the revision; boxed, each copy is one retain
    // instead of a copy of the payload and a retain per string.
    indirect case mapping(HashMapping)
    indirect case threshold(HashThreshold)
    indirect case tier(TierRule)
    case script(ScriptRule)

    public var kind: RuleItemKind {
        switch self {
        case .group: return .group
        case .service: return .service
        case .field: return .field
        case .mapping: return .mapping
        case .threshold: return .threshold
        case .tier: return .tier
        case .script: return .script
        }
    }

    /// The name this item is known by in later events.
    public var target: RuleTarget {
        switch self {
        case .group(let name): return .group(name)
        case .service(let s): return .service(s.name)
        case .field(let service, let name): return .field(service: service, name: name)
        case .mapping(let m): return .rule(.mapping, m.id)
        case .threshold(let t): return .rule(.threshold, t.id)
        case .tier(let t): return .rule(.tier, t.id)
        case .script(let s): return .rule(.script, s.id)
        }
    }

    /// The same item with `validity` (rules only; declarations carry none).
    public func with(validity: RuleValidity) -> RuleItem {
        switch self {
        case .group, .service, .field: return self
        case .mapping(var m): m.validity = validity; return .mapping(m)
        case .threshold(var t): t.validity = validity; return .threshold(t)
        case .tier(var t): t.validity = validity; return .tier(t)
        case .script(var s): s.validity = validity; return .script(s)
        }
    }

    /// `with(validity:)`, without rebuilding an item that already carries `validity`, as
    /// every event's item does (`RuleEvent`'s init dates it): the fold dates each created
    /// rule twice, and each rebuild copied the whole item.
    func dated(_ validity: RuleValidity) -> RuleItem {
        let carries: Bool
        switch self {
        case .group, .service, .field: return self
        case .mapping(let m): carries = m.validity == validity
        case .threshold(let t): carries = t.validity == validity
        case .tier(let t): carries = t.validity == validity
        case .script(let s): carries = s.validity == validity
        }
        return carries ? self : with(validity: validity)
    }
}

/// Names an existing item: a group, a service, a field of a service, or a rule by id.
public enum RuleTarget: Sendable, Hashable, CustomStringConvertible {
    case group(String)
    case service(String)
    case field(service: String, name: String)
    /// A mapping, threshold, tier or script (rule ids are unique across these kinds).
    case rule(RuleItemKind, String)

    public var kind: RuleItemKind {
        switch self {
        case .group: return .group
        case .service: return .service
        case .field: return .field
        case .rule(let kind, _): return kind
        }
    }

    public var description: String {
        switch self {
        case .group(let name): return "group '\(name)'"
        case .service(let name): return "service '\(name)'"
        case .field(let service, let name): return "field '\(name)' of service '\(service)'"
        case .rule(let kind, let id): return "\(kind.rawValue) '\(id)'"
        }
    }
}

/// One change to the rule book. `start` of the carrying event is when it takes effect.
public enum RuleChange: Sendable, Hashable {
    /// A new item in effect from the event's `start` until its `end` (if any).
    case create(RuleItem)
    /// New content for a rule that has not started yet (CloudKitty 23 refuses updates
    /// of started rules); its validity becomes the event's `start`/`end`.
    case update(RuleItem)
    /// The item stops applying at the event's `start` (which must be in the future).
    case end(RuleTarget)
    /// Like `end`, and marks the item deleted; a rule that has not started never applies.
    /// History is kept.
    case delete(RuleTarget)
    case enableModule(RatingModuleKind)
    case disableModule(RatingModuleKind)
    case setModulePriority(RatingModuleKind, Int)
    /// Several changes published as one event, so that they are accepted or rejected
    /// together (a price change is an end and a create: a racing writer must never see,
    /// or leave, one without the other). Each part has its own start and end; they are
    /// folded in order, and the first part a reader would reject rejects the whole event.
    case batch([PlannedRuleChange])

    /// The operation's name as encoded (`op`).
    public var operation: String {
        switch self {
        case .create: return "create"
        case .update: return "update"
        case .end: return "end"
        case .delete: return "delete"
        case .enableModule: return "enable"
        case .disableModule: return "disable"
        case .setModulePriority: return "priority"
        case .batch: return "batch"
        }
    }

    /// The item the change is about; nil for module changes.
    public var target: RuleTarget? {
        switch self {
        case .create(let item), .update(let item): return item.target
        case .end(let target), .delete(let target): return target
        case .enableModule, .disableModule, .setModulePriority, .batch: return nil
        }
    }

    /// Every item the change is about (a batch's parts' targets, in order).
    public var targets: [RuleTarget] {
        if case .batch(let parts) = self { return parts.compactMap(\.change.target) }
        return target.map { [$0] } ?? []
    }

    /// The module a module change is about.
    public var module: RatingModuleKind? {
        switch self {
        case .enableModule(let m), .disableModule(let m), .setModulePriority(let m, _): return m
        default: return nil
        }
    }
}
