/// The rating rules as plain values: what a ruleset file or the rule log describes.
/// `RuleSet` is unchecked input; `RuleBook(validating:)` turns it into a checked book.

/// How a mapping or threshold cost applies: added once (`flat`) or multiplied (`rate`).
public enum CostType: String, Sendable, Hashable, CaseIterable {
    case flat, rate
}

/// When a rule is in force: `start <= T < end` (no end: forever).
public struct RuleValidity: Sendable, Hashable {
    public var start: EventTime
    public var end: EventTime?

    public init(start: EventTime = .distantPast, end: EventTime? = nil) {
        self.start = start
        self.end = end
    }

    public static let always = RuleValidity()

    @inlinable public func contains(_ t: EventTime) -> Bool {
        start <= t && (end.map { t < $0 } ?? true)
    }

    /// Whether some instant lies in both periods.
    public func overlaps(_ other: RuleValidity) -> Bool {
        let endA = end ?? .distantFuture, endB = other.end ?? .distantFuture
        return start < endB && other.start < endA
    }
}

extension EventTime {
    /// Before any window: the start of a rule that has always been in force.
    public static let distantPast = EventTime(micros: .min)
    /// After any window.
    public static let distantFuture = EventTime(micros: .max)
}

/// A hashmap mapping: on a service (`field == nil`, no value) or on one value of a field.
public struct HashMapping: Sendable, Hashable {
    public var id: String
    public var service: String
    public var field: String?
    public var value: String?
    public var type: CostType
    public var cost: ExactDecimal
    public var group: String?
    public var tenant: String?
    public var validity: RuleValidity

    public init(id: String, service: String, field: String? = nil, value: String? = nil, type: CostType,
                cost: ExactDecimal, group: String? = nil, tenant: String? = nil, validity: RuleValidity = .always) {
        self.id = id; self.service = service; self.field = field; self.value = value; self.type = type
        self.cost = cost; self.group = group; self.tenant = tenant; self.validity = validity
    }
}

/// A hashmap threshold: on a service (compares the quantity) or a field (compares the
/// field's value as a decimal).
public struct HashThreshold: Sendable, Hashable {
    public var id: String
    public var service: String
    public var field: String?
    public var level: ExactDecimal
    public var type: CostType
    public var cost: ExactDecimal
    public var group: String?
    public var tenant: String?
    public var validity: RuleValidity

    public init(id: String, service: String, field: String? = nil, level: ExactDecimal, type: CostType,
                cost: ExactDecimal, group: String? = nil, tenant: String? = nil, validity: RuleValidity = .always) {
        self.id = id; self.service = service; self.field = field; self.level = level; self.type = type
        self.cost = cost; self.group = group; self.tenant = tenant; self.validity = validity
    }
}

/// A service and the fields declared under it (CloudKitty creates both explicitly).
public struct ServiceDeclaration: Sendable, Hashable {
    public var name: String
    public var fields: [String]
    public init(name: String, fields: [String] = []) { self.name = name; self.fields = fields }
}

/// A cumulative tier schedule for one service over a billing cycle (the tiers module).
public struct TierRule: Sendable, Hashable {
    public var id: String
    public var service: String
    public var schedule: TierSchedule
    public var cycle: BillingCycle
    public var tenant: String?
    public var validity: RuleValidity

    public init(id: String, service: String, schedule: TierSchedule, cycle: BillingCycle = .calendarMonth(),
                tenant: String? = nil, validity: RuleValidity = .always) {
        self.id = id; self.service = service; self.schedule = schedule; self.cycle = cycle
        self.tenant = tenant; self.validity = validity
    }
}

/// A script rule: source run by the script module (executed behind `ScriptEvaluator`).
public struct ScriptRule: Sendable, Hashable {
    public var id: String
    public var source: String
    public var validity: RuleValidity
    public init(id: String, source: String, validity: RuleValidity = .always) {
        self.id = id; self.source = source; self.validity = validity
    }
}

/// The rating modules, by the names CloudKitty and the ruleset file use.
public enum RatingModuleKind: String, Sendable, Hashable, CaseIterable {
    case hashmap, tiers, script, noop
}

/// Whether a module runs and where: higher priority runs first.
public struct ModuleSetting: Sendable, Hashable {
    public var enabled: Bool
    public var priority: Int
    public init(enabled: Bool, priority: Int) { self.enabled = enabled; self.priority = priority }

    /// Defaults: hashmap 3, tiers 2, script 1 (last, since it sets the price), noop 0.
    public static func defaultSetting(for module: RatingModuleKind) -> ModuleSetting {
        switch module {
        case .hashmap: return ModuleSetting(enabled: true, priority: 3)
        case .tiers: return ModuleSetting(enabled: true, priority: 2)
        case .script: return ModuleSetting(enabled: true, priority: 1)
        case .noop: return ModuleSetting(enabled: false, priority: 0)
        }
    }
}

/// Unchecked rating rules, as read from a file or folded from the rule log.
public struct RuleSet: Sendable, Hashable {
    public var groups: [String]
    public var services: [ServiceDeclaration]
    public var mappings: [HashMapping]
    public var thresholds: [HashThreshold]
    public var tiers: [TierRule]
    public var scripts: [ScriptRule]
    public var modules: [RatingModuleKind: ModuleSetting]

    public init(groups: [String] = [], services: [ServiceDeclaration] = [], mappings: [HashMapping] = [],
                thresholds: [HashThreshold] = [], tiers: [TierRule] = [], scripts: [ScriptRule] = [],
                modules: [RatingModuleKind: ModuleSetting] = [:]) {
        self.groups = groups; self.services = services; self.mappings = mappings
        self.thresholds = thresholds; self.tiers = tiers; self.scripts = scripts; self.modules = modules
    }

    /// The setting of `module`: the explicit one, else the default.
    public func setting(for module: RatingModuleKind) -> ModuleSetting {
        modules[module] ?? .defaultSetting(for: module)
    }
}
