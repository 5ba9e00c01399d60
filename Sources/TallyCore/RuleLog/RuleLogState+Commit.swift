/// Ending and deleting items, and committing accepted effects to the state.

extension RuleLogState {
    /// `end` sets the end once; `delete` ends at `time` (or withdraws a rule that has not
    /// started) and marks the item deleted. Declarations may only end once no rule in
    /// force after `time` uses them; a service's fields end with it.
    func checkClose(_ target: RuleTarget, at time: EventTime, deleting: Bool, _ e: RuleEvent) throws(Rejection) -> FoldEffect {
        let (key, current) = try existing(target)
        if current.deleted { throw Rejection(.alreadyDeleted, "\(target) was deleted") }
        if !deleting, let end = current.validity.end {
            throw Rejection(.endAlreadySet, "\(target) already ends at \(iso(end)); an end can be set only once")
        }
        if !deleting && time <= current.validity.start {
            throw Rejection(.endBeforeStart, "\(target) starts at \(iso(current.validity.start)); an end at \(iso(time)) "
                + "would not be after it (delete a rule to withdraw it before it starts)")
        }
        let closing = Self.closing(current, key, at: time, deleting: deleting)
        var fields: [PendingRevision] = []
        if case .service(let service) = target {
            for name in fieldsByService[service] ?? [] {
                guard let field = latestKey(.field(service: service, name: name)) else { continue }
                let revision = histories[Int(field.position)].current
                guard !revision.deleted, revision.validity.end.map({ $0 > time }) ?? true else { continue }
                fields.append(Self.closing(revision, field, at: time, deleting: deleting))
            }
        }
        if target.kind.isDeclaration {
            try checkUnused(closing.key.target, after: closing.validity.end ?? time)
            for field in fields { try checkUnused(field.key.target, after: field.validity.end ?? time) }
        }
        return .revise(closing, more: fields)
    }

    static func closing(_ current: RuleItemRevision, _ key: ItemKey, at time: EventTime, deleting: Bool) -> PendingRevision {
        var v = current.validity
        if time <= v.start {
            v.end = v.start  // never applies
        } else {
            v.end = min(v.end ?? time, time)
        }
        return PendingRevision(key: key, item: current.item.with(validity: v), validity: v, deleted: deleting)
    }

    func checkUnused(_ declaration: RuleTarget, after end: EventTime) throws(Rejection) {
        let users = targetNumbers[declaration].map { targets[Int($0)].users } ?? []
        let keys = users.map { order[Int($0)] }.sorted(by: ItemKey.precedes)
        for key in keys {
            let rule = histories[Int(key.position)].current
            guard rule.everApplies else { continue }
            if rule.validity.end.map({ $0 > end }) ?? true {
                throw Rejection(.inUse, "\(key.target) uses \(declaration) \(describe(rule.validity)), "
                    + "after \(iso(end)); end or delete it first")
            }
        }
    }

    // MARK: Commit

    /// Each new revision takes an audit entry of its own, built where it is stored and moved
    /// in (most events make one revision): one entry shared by copies retained and released
    /// its five strings once more per revision, ~12% of the folding thread.
    mutating func commit(_ effect: consuming FoldEffect, event: RuleEvent, offset: Int64) {
        switch consume effect {
        case .create(let item, let fields, let validity, let indexing):
            create(item, validity, indexing, number: indexing?.own ?? -1, audit: RuleAuditEntry(event, offset: offset), offset)
            for field in fields {
                create(field, validity, nil, number: -1, audit: RuleAuditEntry(event, offset: offset), offset)
            }
        case .revise(let first, let more):
            revise(first, event: event, offset: offset)
            for p in more { revise(p, event: event, offset: offset) }
        case .module(let change):
            moduleChanges.append(ModuleChangeRecord(offset: offset, start: event.start, change: change,
                                                    audit: RuleAuditEntry(event, offset: offset)))
        case .batch(let folded):
            self = folded
        }
    }

    /// Commits a new revision of an existing item.
    private mutating func revise(_ p: PendingRevision, event: RuleEvent, offset: Int64) {
        let position = Int(p.key.position)
        if p.reattaches, case .rule = p.key.target {
            unindex(histories[position].current.item, p.key)
            index(p.item, p.key, indexing: p.indexing)
        }
        histories[position].revise(RuleItemRevision(offset: offset, item: p.item, validity: p.validity, deleted: p.deleted),
                                   audit: RuleAuditEntry(event, offset: offset))
    }

    /// Commits a created item (a service's fields: each, with `indexing` nil).
    private mutating func create(_ item: RuleItem, _ validity: RuleValidity, _ indexing: RuleIndexing?, number: Int32,
                                 audit: consuming RuleAuditEntry, _ offset: Int64) {
        // Dated by the check (`FoldEffect.create`); declarations carry no validity.
        let revision = RuleItemRevision(offset: offset, item: item, validity: validity, deleted: false)
        // A new rule's id was hashed for `ruleKinds` (`kindProbe`): its target's hash follows.
        let targetHash = indexing?.kindProbe.map { RuleTarget.ruleHash(id: $0.hash) }
        let key = append(item.target, RuleItemHistory(first: revision, audit: audit), number: number, targetHash: targetHash)
        if case .field(let service, let name) = item, key.incarnation == 0 {
            fieldsByService[service, default: []].append(name)
        }
        if case .rule(let kind, let id) = key.target {
            // An id used before already has this kind (the check saw to it).
            if let probe = indexing?.kindProbe { ruleKinds.set(kind, for: id, at: probe) }
            else if indexing.map({ $0.own < 0 }) ?? true { ruleKinds.set(kind, for: id) }
            index(item, key, indexing: indexing)
        }
    }

    /// Adds the next incarnation of `target` at the end of creation order; returns its key.
    /// `number`: the target's number when the caller already knows it (-1: look it up).
    /// `history` is consumed, moved into `histories`: a copy of its ~220 bytes retained
    /// every string of its revision and event, and dropping the copy released them again.
    mutating func append(_ target: RuleTarget, _ history: consuming RuleItemHistory, number known: Int32 = -1,
                         targetHash: UInt64? = nil) -> ItemKey {
        let number = known >= 0 ? known : intern(target, hash: targetHash)
        let position = Int32(histories.count)
        let key = ItemKey(target: target, incarnation: targets[Int(number)].incarnations.count, position: position)
        history.position = position
        histories.append(history)
        order.append(key)
        targets[Int(number)].incarnations.append(position)
        return key
    }

    /// `target`'s number in `targets`, given one if it has none yet.
    mutating func intern(_ target: RuleTarget, hash: UInt64? = nil) -> Int32 {
        let probe = targetNumbers.probe(target, hash: hash ?? target.byteHash)
        if let entry = probe.entry { return targetNumbers.values[entry] }
        let number = Int32(targets.count)
        targetNumbers.set(number, for: target, at: probe)
        targets.append(TargetEntry(namesHoldSeparator: target.kind.isDeclaration && Self.namesHoldSeparator(target)))
        return number
    }

    /// `indexing`: what the check found for the item (nil: work it out from the item).
    mutating func index(_ item: RuleItem, _ key: ItemKey, indexing: RuleIndexing? = nil) {
        guard let indexing else {
            // Snapshot decoding (and any rule the check did not number): the declarations a
            // rule uses are numbered once, interned if new, and serve both the users lists and
            // the clash key.
            var found = internDeclarations(usedBy: item)
            found.clashKey = clashKey(item, found: found)
            index(item, key, indexing: found)
            return
        }
        if let clash = indexing.clashKey {
            if let probe = indexing.clashProbe {
                clashIndex.update(clash, at: probe, default: PositionList()) { $0.append(key.position) }
            } else {
                clashIndex.update(clash, default: PositionList()) { $0.append(key.position) }
            }
        }
        // Three tests, not a loop over an array of the three: that array cost an allocation.
        if indexing.service >= 0 { targets[Int(indexing.service)].addUser(key.position) }
        if indexing.field >= 0 { targets[Int(indexing.field)].addUser(key.position) }
        if indexing.group >= 0 { targets[Int(indexing.group)].addUser(key.position) }
    }

    private mutating func unindex(_ item: RuleItem, _ key: ItemKey) {
        if let clash = clashKey(item) { clashIndex.updateIfPresent(clash) { $0.remove(key.position) } }
        for declaration in Self.declarations(usedBy: item) {
            guard let number = targetNumbers[declaration] else { continue }
            targets[Int(number)].removeUser(key.position)
        }
    }

    /// The target numbers of the service, field and group a mapping or threshold names,
    /// each interned if it has none yet (-1: the item names none).
    mutating func internDeclarations(usedBy item: RuleItem) -> RuleIndexing {
        var found = RuleIndexing(clashKey: nil)
        func note(_ service: String, _ field: String?, _ group: String?) {
            found.service = intern(.service(service))
            if let field { found.field = intern(.field(service: service, name: field)) }
            if let group { found.group = intern(.group(group)) }
        }
        switch item {
        case .mapping(let m): note(m.service, m.field, m.group)
        case .threshold(let t): note(t.service, t.field, t.group)
        default: break
        }
        return found
    }

    static func declarations(usedBy item: RuleItem) -> [RuleTarget] {
        func refs(_ service: String, _ field: String?, _ group: String?) -> [RuleTarget] {
            var out: [RuleTarget] = [.service(service)]
            if let field { out.append(.field(service: service, name: field)) }
            if let group { out.append(.group(group)) }
            return out
        }
        switch item {
        case .mapping(let m): return refs(m.service, m.field, m.group)
        case .threshold(let t): return refs(t.service, t.field, t.group)
        default: return []
        }
    }
}
