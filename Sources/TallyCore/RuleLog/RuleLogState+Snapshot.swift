/// Snapshots of the fold, so a rater can store the state (e.g. in LMDB) and fold only
/// the tail of the log at start-up. Binary, deterministic: equal states encode alike.
/// The indexes are not stored; decoding rebuilds them from the items.

extension RuleLogState {
    /// Bumped whenever the binary layout changes; older snapshots are refused (refold).
    public static let snapshotFormat: UInt8 = 1
    private static let magic: [UInt8] = Array("TRLS".utf8)

    /// The whole state as bytes.
    public func encode() -> [UInt8] {
        var w = SnapshotWriter()
        w.bytes.append(contentsOf: Self.magic)
        w.u8(Self.snapshotFormat)
        w.string(head)
        w.optional(version) { $0.i64($1) }
        w.optional(lastOffset) { $0.i64($1) }
        w.int(acceptedCount)
        w.array(rejected) { w, r in
            w.i64(r.offset); w.string(r.eventID); w.string(r.rejection.code.rawValue); w.string(r.rejection.message)
        }
        w.array(order) { w, key in
            let history = histories[Int(key.position)]
            w.target(key.target); w.int(key.incarnation)
            // The revisions, then their events: the layout of format 1 (two lists).
            w.int(history.revisionCount)
            history.forEachRevision { r, _ in w.i64(r.offset); w.item(r.item); w.validity(r.validity); w.bool(r.deleted) }
            w.int(history.revisionCount)
            history.forEachRevision { _, audit in w.audit(audit) }
        }
        w.array(moduleChanges) { w, m in w.i64(m.offset); w.time(m.start); w.change(m.change); w.audit(m.audit) }
        w.array(eventIDs.keys.sorted()) { $0.string($1) }
        return w.bytes
    }

    /// A state from `encode()`'s bytes.
    public init(decoding bytes: [UInt8]) throws(RuleLogSnapshotError) {
        var r = SnapshotReader(bytes)
        guard bytes.count >= 5, Array(bytes[0..<4]) == Self.magic else { throw r.fail("not a rule log snapshot") }
        r.position = 4
        let format = try r.u8()
        guard format == Self.snapshotFormat else {
            throw r.fail("snapshot format \(format), this build reads \(Self.snapshotFormat): refold the log")
        }
        self.init()
        head = try r.string()
        version = try r.optional { r throws(RuleLogSnapshotError) in try r.i64() }
        lastOffset = try r.optional { r throws(RuleLogSnapshotError) in try r.i64() }
        acceptedCount = try r.int()
        rejected = try r.array { r throws(RuleLogSnapshotError) in
            let offset = try r.i64(), id = try r.string()
            let code = try r.choice(RuleEventRejection.Code.self)
            return RejectedRuleEvent(offset: offset, eventID: id, rejection: RuleEventRejection(code, try r.string()))
        }
        let count = try r.count()
        order.reserveCapacity(count)
        histories.reserveCapacity(count)
        // Each incarnation names at most one new target, rule id and clash key: sized once
        // from the count instead of rehashed as they grow (~1–2% of decoding a snapshot).
        targets.reserveCapacity(count)
        targetNumbers.reserve(count)
        ruleKinds.reserve(count)
        clashIndex.reserve(count)
        for _ in 0..<count {
            let target = try r.target(), incarnation = try r.int()
            let revisions = try r.array { r throws(RuleLogSnapshotError) in
                RuleItemRevision(offset: try r.i64(), item: try r.item(), validity: try r.validity(), deleted: try r.bool())
            }
            let audit = try r.array { r throws(RuleLogSnapshotError) in try r.audit() }
            guard !revisions.isEmpty else { throw r.fail("\(target) has no revisions") }
            guard let history = RuleItemHistory(revisions: revisions, audit: audit) else {
                throw r.fail("\(target) has \(revisions.count) revisions but \(audit.count) audit entries")
            }
            let key = append(target, history)
            guard key.incarnation == incarnation else {
                throw r.fail("\(target): incarnation \(incarnation) stored where \(key.incarnation) comes next")
            }
            rebuildIndexes(for: key)
        }
        moduleChanges = try r.array { r throws(RuleLogSnapshotError) in
            ModuleChangeRecord(offset: try r.i64(), start: try r.time(), change: try r.change(), audit: try r.audit())
        }
        let ids = try r.array { r throws(RuleLogSnapshotError) in try r.string() }
        eventIDs.reserve(ids.count)
        for id in ids { eventIDs.set(true, for: id) }
        guard r.position == bytes.count else { throw r.fail("trailing bytes") }
    }

    private mutating func rebuildIndexes(for key: ItemKey) {
        let item = histories[Int(key.position)].current.item
        switch key.target {
        case .field(let service, let name) where key.incarnation == 0:
            fieldsByService[service, default: []].append(name)
        case .rule(let kind, let id):
            ruleKinds.set(kind, for: id)
            index(item, key)
        default: break
        }
    }
}
