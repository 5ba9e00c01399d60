/// The changes that turn the current rules into a target rule set (`tally rules apply`).

/// A change to publish: the event without id, author, reason, chain or hash yet.
public struct PlannedRuleChange: Sendable, Hashable, CustomStringConvertible {
    public var change: RuleChange
    public var start: EventTime
    public var end: EventTime?
    public init(change: RuleChange, start: EventTime, end: EventTime? = nil) {
        self.change = change; self.start = start; self.end = end
    }

    /// `create mapping 'x' from T until U`, for dry runs.
    public var description: String {
        let what: String
        switch change {
        case .create(let item), .update(let item): what = "\(change.operation) \(item.target)"
        case .end(let target), .delete(let target): what = "\(change.operation) \(target)"
        case .enableModule(let m), .disableModule(let m): what = "\(change.operation) module \(m.rawValue)"
        case .setModulePriority(let m, let p): what = "set module \(m.rawValue) priority to \(p)"
        case .batch(let parts):
            return "batch of \(parts.count) change(s): " + parts.map(\.description).joined(separator: "; ")
        }
        return what + " at \(iso(start))" + (end.map { " until \(iso($0))" } ?? "")
    }
}

/// Computes changes between rule sets. Rules are matched by id, declarations by name.
///
/// At time `T`: a new rule is created from its own start if the file gives one, else
/// from T; a rule missing from the target is deleted at T; a rule whose content
/// changes is updated if it has not started by T, else ended at T (deleted if an end
/// was already set) and created again under the same id from T — that is how a price
/// change keeps earlier windows at the old price. Only an end added to an open-ended
/// rule becomes an `end` change at that time.
public enum RuleLogDiff {
    /// `current`: the latest rules not ended by `time` (`RuleLogState.currentRules(at:)`);
    /// `target`: the rules wanted (a ruleset file). Changes come in an order the fold
    /// accepts: new declarations, then removals and ends, then creates and updates,
    /// then removed declarations, then modules.
    public static func changes(from current: RuleSet, to target: RuleSet, at time: EventTime) -> [PlannedRuleChange] {
        var declare: [PlannedRuleChange] = [], close: [PlannedRuleChange] = [], open: [PlannedRuleChange] = []
        var undeclare: [PlannedRuleChange] = [], modules: [PlannedRuleChange] = []

        let currentGroups = Set(current.groups), targetGroups = Set(target.groups)
        for g in target.groups where !currentGroups.contains(g) { declare.append(.init(change: .create(.group(g)), start: time)) }
        for g in current.groups where !targetGroups.contains(g) { undeclare.append(.init(change: .delete(.group(g)), start: time)) }

        let currentServices = Dictionary(current.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let targetServices = Dictionary(target.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for s in target.services {
            guard let existing = currentServices[s.name] else {
                declare.append(.init(change: .create(.service(s)), start: time))
                continue
            }
            let had = Set(existing.fields), wanted = Set(s.fields)
            for f in s.fields where !had.contains(f) {
                declare.append(.init(change: .create(.field(service: s.name, name: f)), start: time))
            }
            for f in existing.fields where !wanted.contains(f) {
                undeclare.append(.init(change: .delete(.field(service: s.name, name: f)), start: time))
            }
        }
        for s in current.services where targetServices[s.name] == nil {
            undeclare.append(.init(change: .delete(.service(s.name)), start: time))
        }

        let currentRules = Dictionary(rules(of: current).map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
        let targetRules = rules(of: target)
        let wanted = Set(targetRules.map(\.target))
        for rule in rules(of: current) where !wanted.contains(rule.target) {
            close.append(.init(change: .delete(rule.target), start: time))
        }
        for rule in targetRules {
            let (c, o) = ruleChanges(from: currentRules[rule.target], to: rule, at: time)
            close += c
            open += o
        }

        for module in RatingModuleKind.allCases {
            let a = current.setting(for: module), b = target.setting(for: module)
            if a.enabled != b.enabled {
                modules.append(.init(change: b.enabled ? .enableModule(module) : .disableModule(module), start: time))
            }
            if a.priority != b.priority { modules.append(.init(change: .setModulePriority(module, b.priority), start: time)) }
        }
        // Fields and services go after the rules that use them, groups last.
        undeclare.sort { rank($0.change) < rank($1.change) }
        return declare + close + open + undeclare + modules
    }

    private static func rank(_ change: RuleChange) -> Int {
        switch change.target?.kind {
        case .field?: return 0
        case .service?: return 1
        default: return 2
        }
    }

    /// The changes for one rule id: (closing changes, opening changes).
    static func ruleChanges(from old: RuleItem?, to new: RuleItem, at time: EventTime) -> ([PlannedRuleChange], [PlannedRuleChange]) {
        let newValidity = validity(of: new)
        let explicitStart = newValidity.start == .distantPast ? nil : newValidity.start
        guard let old else {
            return ([], [.init(change: .create(new), start: explicitStart ?? time, end: newValidity.end)])
        }
        let oldValidity = validity(of: old)
        let sameContent = old.with(validity: .always) == new.with(validity: .always)
        let sameStart = explicitStart.map { $0 == oldValidity.start } ?? true
        if sameContent && sameStart && oldValidity.end == newValidity.end { return ([], []) }
        // The log ends the rule (`rules end`) and the file, otherwise identical, does not
        // say so: keep the end rather than silently reopen the rule (`keptEnds` names it).
        if sameContent && sameStart && oldValidity.end != nil && newValidity.end == nil { return ([], []) }
        if oldValidity.start >= time {
            // Not started: CloudKitty lets every member change. A rule that starts exactly
            // at `time` (a change scheduled for the same instant by another writer) is
            // replaced too: ending it there would end it before it starts.
            return ([], [.init(change: .update(new), start: explicitStart ?? oldValidity.start, end: newValidity.end)])
        }
        if sameContent && sameStart && oldValidity.end == nil, let end = newValidity.end, end >= time {
            return ([.init(change: .end(new.target), start: end)], [])
        }
        let changeover = max(time, explicitStart ?? time)
        let closing: RuleChange = oldValidity.end == nil ? .end(new.target) : .delete(new.target)
        return ([.init(change: closing, start: changeover)], [.init(change: .create(new), start: changeover, end: newValidity.end)])
    }

    /// Rules the log ends (an earlier `rules end`) that the target lists unchanged but
    /// without that end: the diff keeps the end; these lines say so, for the operator.
    public static func keptEnds(from current: RuleSet, to target: RuleSet) -> [String] {
        let currentRules = Dictionary(rules(of: current).map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
        return rules(of: target).compactMap { new in
            guard let old = currentRules[new.target], let end = validity(of: old).end, validity(of: new).end == nil,
                  old.with(validity: .always) == new.with(validity: .always) else { return nil }
            let explicitStart = validity(of: new).start == .distantPast ? nil : validity(of: new).start
            guard explicitStart.map({ $0 == validity(of: old).start }) ?? true else { return nil }
            return "\(new.target) ends at \(iso(end)) in the rule log (an earlier end); the file gives no end: "
                + "the end is kept (to change it, give the rule an 'end', or create a new rule)"
        }
    }

    static func rules(of set: RuleSet) -> [RuleItem] {
        set.mappings.map(RuleItem.mapping) + set.thresholds.map(RuleItem.threshold)
            + set.tiers.map(RuleItem.tier) + set.scripts.map(RuleItem.script)
    }

    static func validity(of item: RuleItem) -> RuleValidity {
        switch item {
        case .mapping(let m): return m.validity
        case .threshold(let t): return t.validity
        case .tier(let t): return t.validity
        case .script(let s): return s.validity
        case .group, .service, .field: return .always
        }
    }
}

extension RuleLogState {
    /// What `RuleLogDiff` compares a file against: the latest incarnation of every item
    /// that is not deleted and not ended by `time` (rules keep their validity, so rules
    /// scheduled to start later are included), with the modules in effect at `time`.
    public func currentRules(at time: EventTime) -> RuleSet {
        var builder = RuleSetBuilder()
        for key in order where latestKey(key.target) == key {
            let revision = histories[Int(key.position)].current
            guard !revision.deleted, revision.everApplies,
                  revision.validity.end.map({ $0 > time }) ?? true else { continue }
            builder.add(revision.item)
        }
        var set = builder.set
        set.modules = moduleSettings(at: time)
        return set
    }
}
