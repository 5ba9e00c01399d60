import TallyCore
import TallyLMDB

/// Summaries without JSON: the compact records under `by_scope` (SummaryRecord.swift).
extension FrameIndex {
    /// The schema of this code: 2 added the compact summary records (by_scope's values) and
    /// the string table, 3 the rollups (RollupCells.swift). An index of an earlier schema is
    /// upgraded in place when opened (see `upgradeSchema`).
    static let schemaVersion: Int64 = 3
    static let schemaKey = Array("schema".utf8)
    /// Frames rewritten per transaction while upgrading (a bounded write set).
    static let upgradeChunk = 20_000

    /// The latest revision of every frame whose window starts in `[from, to)`, as compact
    /// summaries, scope by scope and within a scope in window order (frame id for equal
    /// starts); with `scopes`, only those scopes' keys are read, and with nil every scope's.
    public func summaries(scopes wanted: Set<String>?, from: EventTime, to: EventTime) throws -> [FrameSummary] {
        guard from < to else { return [] }
        return try environment.read { txn in try summaries(txn, scopes: wanted, from: from, to: to) }
    }

    /// `summaries(scopes:from:to:)` inside a read the caller holds, so that it agrees with the
    /// caller's other reads of the same commit.
    func summaries(_ txn: borrowing some LMDBTransactionReading & ~Copyable, scopes wanted: Set<String>?,
                   from: EventTime, to: EventTime) throws -> [FrameSummary] {
        guard from < to else { return [] }
        let names = try strings.names(in: txn)
        let scopeIds = try self.scopeIds(wanted, txn)
        var decoded: [(scope: Int, record: SummaryRecord.Decoded)] = []
        var pairs: [UInt32] = []
        let lowerTime = FrameIndexKeys.time(from.micros), upperTime = FrameIndexKeys.time(to.micros)
        for (scopeIndex, scope) in scopeIds.enumerated() {
            let prefix = FrameIndexKeys.scopePrefix(scope)
            let lower = prefix + lowerTime, upper = prefix + upperTime
            try lower.withUnsafeBytes { bound in
                try txn.forEach(in: byScope, from: bound) { entry in
                    guard entry.key.lexicographicallyPrecedes(upper) else { return false }
                    guard let record = SummaryRecord.decode(key: entry.key, value: entry.value, nameCount: names.count,
                                                            pairs: &pairs) else {
                        throw FrameIndexError.unreadableSummary(scope: scope)
                    }
                    decoded.append((scopeIndex, record))
                    return true
                }
            }
        }
        let batch = SummaryBatch(names: names, pairs: pairs)
        return decoded.map { scope, r in
            FrameSummary(frameIdKey: r.frameIdKey, revision: r.revision, scope: scopeIds[scope], windowStart: r.windowStart,
                         windowEnd: r.windowEnd, quantity: r.quantity, price: r.price, fields: r.fields, batch: batch)
        }
    }

    /// Brings an index written by an earlier schema up to this one, in place. Before schema 2
    /// every latest frame (kept verbatim in `latest`) is decoded once more and its compact
    /// record written, in bounded transactions; then (before schema 3) the rollups are built
    /// from the compact records and the version is stored in that transaction, so an upgrade
    /// cut short starts over at the next open (rewriting a record or the rollups is
    /// idempotent). An empty index just records the version. Nothing needs the frames topic.
    func upgradeSchema() throws {
        let (stored, frames): (Int64?, Int) = try environment.read { txn in
            (try txn.get(meta, key: Self.schemaKey).map { FrameIndexKeys.readTime($0) }, try txn.statistics(latest).entries)
        }
        guard stored != Self.schemaVersion else { return }
        if let stored, stored > Self.schemaVersion {
            throw FrameIndexError.newerSchema(found: stored, supported: Self.schemaVersion)
        }
        if let stored, stored >= 2 { return try rebuildRollups() }
        var ids: [[UInt8]] = []
        ids.reserveCapacity(frames)
        try environment.read { txn in try txn.forEach(in: latest) { ids.append(Array($0.key)); return true } }
        var start = 0
        repeat {
            let chunk = ids[start..<min(ids.count, start + Self.upgradeChunk)]
            var interned: [(UInt32, String)] = []
            try environment.write { txn in
                var interner = try StringInterner(table: strings, txn: txn)
                defer { interned = interner.added }
                for id in chunk {
                    guard let bytes = try txn.get(latest, key: id), let frame = IndexedFrame(bytes: bytes) else { continue }
                    try txn.put(byScope, key: FrameIndexKeys.byScope(frame.scope, start: frame.windowStart.micros, frameId: frame.frameId),
                                value: try SummaryRecord.encode(frame, &interner, txn))
                }
            }
            strings.commit(interned)
            start = chunk.endIndex
        } while start < ids.count
        try rebuildRollups()
    }
}

public enum FrameIndexError: Error, CustomStringConvertible {
    case unreadableSummary(scope: String)
    case newerSchema(found: Int64, supported: Int64)

    public var description: String {
        switch self {
        case .unreadableSummary(let scope):
            return "frame index: a summary record of scope '\(scope)' does not match schema \(FrameIndex.schemaVersion); delete the index directory to rebuild it from the frames topic"
        case .newerSchema(let found, let supported):
            return "frame index: schema \(found) was written by a newer tally (this one reads \(supported)); use that version or delete the index directory to rebuild it from the frames topic"
        }
    }
}
