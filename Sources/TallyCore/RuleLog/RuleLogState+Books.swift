/// Reading the fold: the rule book in effect at a time as known after a version, the
/// instants where it changes, and the history and audit trail of each item.

extension RuleLogState {
    /// The rules in effect at `time`, as known after the event at offset `version`
    /// (nil: everything folded so far). Rules keep their validity, so a `Rater` on the
    /// book prices every window whose start lies in the same epoch (`epoch(containing:)`).
    /// Items come in creation order; only modules that some event changed are listed.
    public func ruleSet(at time: EventTime, asOf version: Int64? = nil) -> RuleSet {
        var builder = RuleSetBuilder()
        for history in histories {
            guard let revision = history.revision(asOf: version), revision.everApplies,
                  revision.validity.contains(time) else { continue }
            builder.add(revision.item)
        }
        var set = builder.set
        set.modules = moduleSettings(at: time, asOf: version)
        return set
    }

    /// `ruleSet(at:asOf:)`, validated. The fold keeps every state valid, so this throws
    /// only if that invariant is broken (a bug worth reporting, not a user error).
    public func ruleBook(at time: EventTime, asOf version: Int64? = nil) throws -> RuleBook {
        try RuleBook(validating: ruleSet(at: time, asOf: version))
    }

    /// The settings of the modules some event changed, in effect at `time`: each
    /// module starts from its default and takes the changes that started by `time`,
    /// in start order (ties in log order).
    public func moduleSettings(at time: EventTime, asOf version: Int64? = nil) -> [RatingModuleKind: ModuleSetting] {
        let relevant = moduleChanges.filter { record in record.start <= time && version.map { record.offset <= $0 } ?? true }
        var settings: [RatingModuleKind: ModuleSetting] = [:]
        // Ties in log order, and within one batch event in part order (the stored order).
        let ordered = relevant.enumerated().sorted { a, b in
            (a.element.start, a.element.offset, a.offset) < (b.element.start, b.element.offset, b.offset)
        }.map(\.element)
        for record in ordered {
            guard let module = record.change.module else { continue }
            var setting = settings[module] ?? .defaultSetting(for: module)
            switch record.change {
            case .enableModule: setting.enabled = true
            case .disableModule: setting.enabled = false
            case .setModulePriority(_, let priority): setting.priority = priority
            default: break
            }
            settings[module] = setting
        }
        return settings
    }

    /// Every instant at which the book (as of `version`) changes, sorted: item starts and
    /// ends and module changes. Between two consecutive instants the book is constant.
    public func changeInstants(asOf version: Int64? = nil) -> [EventTime] {
        var instants: Set<EventTime> = []
        for history in histories {
            guard let revision = history.revision(asOf: version), revision.everApplies else { continue }
            instants.insert(revision.validity.start)
            if let end = revision.validity.end { instants.insert(end) }
        }
        for record in moduleChanges where version.map({ record.offset <= $0 }) ?? true { instants.insert(record.start) }
        return instants.sorted()
    }

    /// The interval around `time` in which the book (as of `version`) does not change:
    /// `[start, end)`, nil bounds meaning unbounded.
    public func epoch(containing time: EventTime, asOf version: Int64? = nil) -> (start: EventTime?, end: EventTime?) {
        let instants = changeInstants(asOf: version)
        let later = instants.firstIndex { $0 > time }
        let startIndex = (later ?? instants.count) - 1
        return (startIndex >= 0 ? instants[startIndex] : nil, later.map { instants[$0] })
    }

    /// The incarnations of an item, oldest first, each with its revisions (empty if no
    /// accepted event created it). A price change is one incarnation ending and the next
    /// starting under the same id.
    public func history(of target: RuleTarget) -> [RuleItemHistory] { incarnationPositions(target).map { histories[Int($0)] } }

    /// The accepted events that touched the rule (mapping, threshold, tier or script)
    /// `id`, oldest first: for audit trails and traces.
    public func auditTrail(ruleID id: String) -> [RuleAuditEntry] {
        guard let kind = ruleKinds[id] else { return [] }
        return auditTrail(of: .rule(kind, id))
    }

    /// The accepted events that touched `target`, oldest first.
    public func auditTrail(of target: RuleTarget) -> [RuleAuditEntry] {
        history(of: target).flatMap(\.audit).sorted { $0.offset < $1.offset }
    }

    /// The accepted module changes, oldest first.
    public var moduleAudit: [RuleAuditEntry] { moduleChanges.map(\.audit) }

    /// The kind of the rule with `id`, if one was ever created.
    public func ruleKind(id: String) -> RuleItemKind? { ruleKinds[id] }
}
