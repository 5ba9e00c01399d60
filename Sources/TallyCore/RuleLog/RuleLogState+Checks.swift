/// Validation of one event against the state before it: CloudKitty 23's rules for dated
/// rules, references, well-formedness and uniqueness. Produces the effect to commit;
/// changes nothing itself, so writers can ask "would this be rejected?".

/// What an accepted event does to the state.
enum FoldEffect {
    /// A new item and, for a service, its fields, all in effect over `validity` (a rule
    /// already dated over it: the commit does not date it again); for a rule, what the
    /// check found to index it by. The item apart from the fields: one
    /// array per created rule cost an allocation per event.
    case create(RuleItem, fields: [RuleItem] = [], RuleValidity, indexing: RuleIndexing? = nil)
    /// New revisions of existing items: one, and for a service ended or deleted its fields'
    /// (an array for every end, delete and update was an allocation for each).
    case revise(PendingRevision, more: [PendingRevision] = [])
    case module(RuleChange)
    /// A batch: the state after folding every part in order.
    case batch(RuleLogState)
}

struct PendingRevision {
    var key: ItemKey
    var item: RuleItem
    var validity: RuleValidity
    var deleted: Bool
    /// Whether the item's references or uniqueness key may change (an update): the
    /// indexes are then rebuilt for it. An end or a delete changes only the validity.
    var reattaches = false
    /// What to index the new content by, when `reattaches` (found by the check).
    var indexing: RuleIndexing? = nil
}

/// What the check of a rule found that the commit indexes it by: its uniqueness key
/// (`RuleClashKey`) and the target numbers of the service, field and group it
/// uses (-1: none), so the commit neither builds the key nor hashes the names again.
struct RuleIndexing {
    var clashKey: RuleClashKey?
    var service: Int32 = -1, field: Int32 = -1, group: Int32 = -1
    /// The rule's own target number when its id was used before (-1: a new target), so
    /// the commit does not look the id up again.
    var own: Int32 = -1
    /// Where the check's searches of `ruleKinds` (for a new id) and `clashIndex` ended, so
    /// the commit inserts there without hashing and searching again (each is a cache miss
    /// or two in tables of ~100,000 keys). Valid because nothing changes those tables
    /// between an event's check and its commit (a batch commits each part right after
    /// checking it), and they are insert-only: an update's unindexing edits a value only.
    var kindProbe: ByteHashTable<String, RuleItemKind>.Probe?
    var clashProbe: ByteHashTable<RuleClashKey, PositionList>.Probe?
}

typealias Rejection = RuleEventRejection

extension RuleLogState {
    /// `supersedingPast`: the event is the closing part of a forced supersede in a batch
    /// (see `checkBatch`), so its start may lie before `recordedAt`. `idAccepted`: whether
    /// an event with this id was accepted, when the caller already looked (nil: look here).
    func check(_ e: RuleEvent, supersedingPast: Bool = false, idAccepted: Bool? = nil) throws(Rejection) -> FoldEffect {
        if e.id.isEmpty { throw Rejection(.invalidEvent, "the event id is empty") }
        if e.author.isEmpty { throw Rejection(.invalidEvent, "event \(e.id) has no author") }
        if e.reason.isEmpty { throw Rejection(.invalidEvent, "event \(e.id) has no reason") }
        if idAccepted ?? eventIDs.contains(e.id) { throw Rejection(.duplicateEvent, "an event with id \(e.id) was already accepted") }
        switch e.change {
        case .create(let item):
            let validity = try datedValidity(e)
            return try checkCreate(item, validity)
        case .update(let item):
            let validity = try datedValidity(e)
            return try checkUpdate(item, validity, e)
        case .end(let target):
            if supersedingPast { try checkNoEnd(e) } else { try checkClosingTime(e) }
            return try checkClose(target, at: e.start, deleting: false, e)
        case .delete(let target):
            if supersedingPast { try checkNoEnd(e) } else { try checkClosingTime(e) }
            return try checkClose(target, at: e.start, deleting: true, e)
        case .enableModule, .disableModule, .setModulePriority:
            try checkNoEnd(e)
            try checkStart(e)
            return .module(e.change)
        case .batch(let parts):
            return try checkBatch(parts, e)
        }
    }

    /// Folds the parts in order on a copy: all of them take effect, or the event is
    /// rejected with the first part's rejection (and nothing changes).
    func checkBatch(_ parts: [PlannedRuleChange], _ e: RuleEvent) throws(Rejection) -> FoldEffect {
        try checkNoEnd(e)
        if parts.isEmpty { throw Rejection(.invalidEvent, "batch event \(e.id) has no changes") }
        if let earliest = parts.map(\.start).min(), earliest != e.start {
            throw Rejection(.invalidEvent, "batch event \(e.id) starts at \(iso(e.start)), not at its earliest part's start \(iso(earliest))")
        }
        var copy = self
        let offset = lastOffset ?? 0
        let supersedes = Self.pastSupersedes(parts, e)
        for (index, part) in e.parts.enumerated() {
            if case .batch = part.change { throw Rejection(.invalidEvent, "batch event \(e.id) nests a batch") }
            do throws(Rejection) {
                let effect = try copy.check(part, supersedingPast: supersedes.contains(index))
                copy.commit(consume effect, event: part, offset: offset)
            } catch {
                throw Rejection(error.code, "change \(index + 1) of \(parts.count) (\(parts[index])): \(error.message)")
            }
        }
        return .batch(copy)
    }

    // MARK: Times

    /// The parts of a forced batch that end or delete a rule at a past instant `T` while a
    /// later part creates the same rule id again from `T`: an audited correction of a
    /// wrong past price ("supersede R from T"). Only these may close in the past; an end
    /// in the past on its own is still refused, force or not.
    static func pastSupersedes(_ parts: [PlannedRuleChange], _ e: RuleEvent) -> Set<Int> {
        guard e.force else { return [] }
        var result: Set<Int> = []
        for (i, part) in parts.enumerated() where part.start < e.recordedAt {
            let closed: RuleTarget
            switch part.change {
            case .end(let t), .delete(let t): closed = t
            default: continue
            }
            guard case .rule = closed else { continue }
            let replaced = parts[(i + 1)...].contains { later in
                if case .create(let item) = later.change { return item.target == closed && later.start == part.start }
                return false
            }
            if replaced { result.insert(i) }
        }
        return result
    }

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
            try checkNewIncarnation(.group(name), v)
            return .create(item, v)
        case .service(let declaration):
            if declaration.name.isEmpty { throw Rejection(.invalidRule, "a service name is empty") }
            try checkNewIncarnation(.service(declaration.name), v)
            var seen: Set<String> = []
            for field in declaration.fields {
                if field.isEmpty { throw Rejection(.invalidRule, "service '\(declaration.name)' has an empty field name") }
                if !seen.insert(field).inserted {
                    throw Rejection(.invalidRule, "service '\(declaration.name)' declares field '\(field)' twice")
                }
            }
            let fields = declaration.fields.map { RuleItem.field(service: declaration.name, name: $0) }
            for field in fields { try checkNewIncarnation(field.target, v) }
            return .create(item, fields: fields, v)
        case .field(let service, let name):
            if name.isEmpty { throw Rejection(.invalidRule, "a field name is empty") }
            try requireDeclaration(.service(service), covering: v, .unknownService)
            try checkNewIncarnation(item.target, v)
            return .create(item, v)
        case .mapping, .threshold, .tier, .script:
            let id = Self.ruleID(item)
            // An id never used has no incarnation to overlap (`ruleKinds` holds every rule
            // id ever created), so only a used one is looked up as a target.
            var own: Int32 = -1
            let kindProbe = ruleKinds.probe(id)
            if let entry = kindProbe.entry {
                let kind = ruleKinds.values[entry]
                if kind != item.kind {
                    throw Rejection(.duplicate, "id '\(id)' belongs to a \(kind.rawValue); rule ids are unique across kinds")
                }
                own = try checkNewIncarnation(item.target, v) ?? -1
            }
            let dated = item.dated(v)
            var indexing = try checkRule(dated, v, replacing: nil)
            indexing?.own = own
            if own < 0 { indexing?.kindProbe = kindProbe }
            return .create(dated, v, indexing: indexing)
        }
    }

    func checkUpdate(_ item: RuleItem, _ v: RuleValidity, _ e: RuleEvent) throws(Rejection) -> FoldEffect {
        guard !item.kind.isDeclaration else {
            throw Rejection(.invalidEvent, "a \(item.kind.rawValue) has no content to update: end it and create another")
        }
        let (key, current) = try existing(item.target)
        if current.deleted { throw Rejection(.alreadyDeleted, "\(item.target) was deleted") }
        if current.validity.start <= e.recordedAt {
            throw Rejection(.alreadyStarted, "\(item.target) started at \(iso(current.validity.start)), before the change "
                + "was recorded (\(iso(e.recordedAt))): only an end in the future may be set; end it and create a new rule")
        }
        let dated = item.dated(v)  // once: `with(validity:)` twice rebuilt the item twice
        let indexing = try checkRule(dated, v, replacing: key)
        return .revise(PendingRevision(key: key, item: dated, validity: v, deleted: false,
                                       reattaches: true, indexing: indexing))
    }

    /// References, well-formedness and CloudKitty's uniqueness for a rule over `v`.
    /// Returns what the commit indexes the rule by (nil for declarations).
    @discardableResult
    func checkRule(_ item: RuleItem, _ v: RuleValidity, replacing: ItemKey?) throws(Rejection) -> RuleIndexing? {
        // What `RuleBook(validating:)` checks, without building a book: a one-rule set has no
        // pair to clash (the clash index below does that against the state). Mappings and
        // thresholds, the common case, skip building the one-rule set (`attachedRuleProblems`).
        let problems: [String]
        var indexing = RuleIndexing(clashKey: nil)
        switch item {
        case .mapping(let m):
            indexing = try requireAttachment(service: m.service, field: m.field, group: m.group, v)
            problems = Self.attachedRuleProblems(id: m.id, service: m.service, group: m.group, validity: m.validity,
                                                 tenant: m.tenant, field: m.field, value: .some(m.value))
        case .threshold(let t):
            indexing = try requireAttachment(service: t.service, field: t.field, group: t.group, v)
            problems = Self.attachedRuleProblems(id: t.id, service: t.service, group: t.group, validity: t.validity,
                                                 tenant: t.tenant, field: t.field, value: nil)
        case .tier(let t): problems = Self.setProblems(RuleSet(tiers: [t]))
        case .script(let s): problems = Self.setProblems(RuleSet(scripts: [s]))
        case .group, .service, .field: return nil
        }
        if !problems.isEmpty { throw Rejection(.invalidRule, problems.joined(separator: "; ")) }
        guard let key = clashKey(item, found: indexing) else { return indexing }
        indexing.clashKey = key
        let clashProbe = clashIndex.probe(key)
        indexing.clashProbe = clashProbe
        // The first clash in a fixed order, so every reader words the rejection alike
        // (a loop, not map and filter: most keys have no other rule, some one).
        var firstClash: ItemKey?
        // Positions and validities are read in place; an `ItemKey` (a copy of the names) is
        // taken only for a rule that clashes.
        for position in clashProbe.entry.map({ clashIndex.values[$0] }) ?? [] {
            if let replacing, replacing.position == position { continue }  // positions are unique
            let validity = histories[Int(position)].currentValidity
            // CloudKitty accepts a later-created open-ended mapping starting inside an
            // earlier-created bounded one with the same key (`supersedesLater`). A create is
            // always the later-created; an update keeps its rule's place in creation order.
            if case .mapping = item {
                let otherIsEarlier = replacing.map { position < $0.position } ?? true  // `createdBefore`
                if otherIsEarlier ? v.supersedesLater(validity) : validity.supersedesLater(v) {
                    continue
                }
            }
            guard validity.everApplies && validity.overlaps(v) else { continue }
            let other = order[Int(position)]
            if firstClash.map({ ItemKey.precedes(other, $0) }) ?? true { firstClash = other }
        }
        if let other = firstClash {
            let revision = histories[Int(other.position)].current
            throw Rejection(.duplicate, "\(item.target) would be in force at the same time as \(other.target) "
                + "(\(describe(revision.validity))) with the same key; end that one first")
        }
        return indexing
    }

    /// A mapping's or threshold's service, field and group must be declared over `v`.
    /// Returns their target numbers (no clash key yet).
    func requireAttachment(service: String, field: String?, group: String?, _ v: RuleValidity) throws(Rejection) -> RuleIndexing {
        var found = RuleIndexing(clashKey: nil)
        // The service's name hashed once: its field's target hash starts from it.
        let serviceName = service.byteHash
        found.service = try requireDeclaration(.service(service), hash: RuleTarget.serviceHash(name: serviceName),
                                               covering: v, .unknownService)
        if let field {
            found.field = try requireDeclaration(.field(service: service, name: field),
                                                 hash: RuleTarget.fieldHash(service: serviceName, name: field.byteHash),
                                                 covering: v, .unknownField)
        }
        if let group { found.group = try requireDeclaration(.group(group), covering: v, .unknownGroup) }
        return found
    }

    static func setProblems(_ set: RuleSet) -> [String] {
        var checker = RuleSetChecker(set)
        checker.checkAll(liveDuplicates: false)
        return checker.problems.map(\.message)
    }

    /// The messages `RuleSetChecker.checkAll(liveDuplicates: false)` gives, in its order, for
    /// the set of one mapping (`value` non-nil: the mapping's optional value) or threshold
    /// (`value` nil) with its service, field and group declared (`requireAttachment` passed),
    /// without building that set. `RuleLogOneRuleCheckTests` holds the two equal.
    static func attachedRuleProblems(id: String, service: String, group: String?, validity: RuleValidity,
                                     tenant: String?, field: String?, value: String??) -> [String] {
        var problems: [String] = []
        if group?.isEmpty == true { problems.append("a group name is empty") }
        if service.isEmpty { problems.append("a service name is empty") }
        if id.isEmpty { problems.append("every rule needs a non-empty id") }
        if let end = validity.end, end <= validity.start { problems.append("end is not after start") }
        if tenant == "" { problems.append("tenant id is empty (omit it for a global rule)") }
        if case .some(let value) = value {
            if field == nil && value != nil { problems.append("a service mapping cannot have a value") }
            if field != nil && value == nil { problems.append("a field mapping needs a value") }
        }
        return problems
    }

    /// The declaration must exist and be in effect over the whole of `v`.
    /// Returns the declaration's target number.
    @discardableResult
    func requireDeclaration(_ target: RuleTarget, hash: UInt64? = nil, covering v: RuleValidity,
                            _ code: Rejection.Code) throws(Rejection) -> Int32 {
        guard let entry = targetNumbers.probe(target, hash: hash ?? target.byteHash).entry,
              case let number = targetNumbers.values[entry], let last = targets[Int(number)].incarnations.last else {
            throw Rejection(code, "there is no \(target)")
        }
        let positions = targets[Int(number)].incarnations
        for position in positions {
            let d = histories[Int(position)].currentValidity
            guard d.everApplies else { continue }
            let endsInside = d.end.map { end in v.end.map { $0 > end } ?? true } ?? false
            if d.start <= v.start && !endsInside { return number }
        }
        let latest = histories[Int(last)].current.validity
        throw Rejection(code, "\(target) is in effect \(describe(latest)), which does not cover the rule's \(describe(v))")
    }

    /// The latest incarnation of `target` and its current revision (not the whole history:
    /// a copy of that retains every revision's and event's strings).
    func existing(_ target: RuleTarget) throws(Rejection) -> (ItemKey, RuleItemRevision) {
        if case .rule(let kind, let id) = target {
            guard let actual = ruleKinds[id] else { throw Rejection(.unknownRule, "there is no rule with id '\(id)'") }
            guard actual == kind else { throw Rejection(.unknownRule, "'\(id)' is a \(actual.rawValue), not a \(kind.rawValue)") }
        }
        guard let key = latestKey(target) else {
            let code: Rejection.Code = target.kind == .group ? .unknownGroup : target.kind == .service ? .unknownService : .unknownField
            throw Rejection(code, "there is no \(target)")
        }
        return (key, histories[Int(key.position)].current)
    }

    /// The positions of `target`'s incarnations, oldest first (one dictionary probe).
    func incarnationPositions(_ target: RuleTarget) -> PositionList {
        targetNumbers[target].map { targets[Int($0)].incarnations } ?? []
    }

    func incarnationKeys(_ target: RuleTarget) -> [ItemKey] {
        incarnationPositions(target).map { order[Int($0)] }
    }

    func latestKey(_ target: RuleTarget) -> ItemKey? {
        incarnationPositions(target).last.map { order[Int($0)] }
    }

    /// A name or id may be created again, but never over one of its earlier incarnations.
    /// Returns the target's number, nil when it has none yet.
    @discardableResult
    func checkNewIncarnation(_ target: RuleTarget, _ v: RuleValidity) throws(Rejection) -> Int32? {
        guard let number = targetNumbers[target] else { return nil }
        for position in targets[Int(number)].incarnations {
            let validity = histories[Int(position)].currentValidity
            guard validity.everApplies, validity.overlaps(v) else { continue }
            throw Rejection(.duplicate, "\(target) already exists \(describe(validity)); "
                + "it can be created again only from the end of that")
        }
        return number
    }

    static func ruleID(_ item: RuleItem) -> String {
        if case .rule(_, let id) = item.target { return id }
        return ""
    }

    /// CloudKitty's uniqueness key (its 409) as `RuleSetChecker.checkLiveDuplicates` joins
    /// it; the clash index uses it only for names that hold the separator (`RuleClashKey`).
    static func joinedClashKey(_ item: RuleItem) -> String? {
        // Built by appending: this runs two or three times per folded rule event.
        func key(_ tag: String, _ parts: String...) -> String {
            var out = tag
            out.reserveCapacity(parts.reduce(tag.utf8.count) { $0 + $1.utf8.count + 1 })
            for part in parts { out.append("\u{1F}"); out.append(part) }
            return out
        }
        switch item {
        case .mapping(let m) where m.field == nil:
            return key("m", m.service, m.group ?? "", m.tenant ?? "")
        case .mapping(let m):
            return key("v", m.service, m.field ?? "", m.value ?? "", m.group ?? "", m.tenant ?? "")
        case .threshold(let t):
            return key("t", t.service, t.field ?? "", t.level.canonicalText, t.group ?? "", t.tenant ?? "")
        case .tier(let t): return key("r", t.service, t.tenant ?? "")
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

extension RuleLogState {
    /// Whether `a` was created before `b` (log order; within one batch, part order):
    /// each incarnation keeps its place in `order`, so this is two lookups, not a search.
    func createdBefore(_ a: ItemKey, _ b: ItemKey) -> Bool { a.position < b.position }
}

extension ItemKey {
    /// A fixed order (by name, then incarnation) for deterministic messages.
    static func precedes(_ a: ItemKey, _ b: ItemKey) -> Bool {
        let x = a.target.description, y = b.target.description
        return x != y ? x < y : a.incarnation < b.incarnation
    }
}
