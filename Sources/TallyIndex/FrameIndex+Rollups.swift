import TallyCore
import TallyLMDB

/// One rollup cell as a query reads it: the frames of one scope, window (or UTC day), scope
/// kind, metric, service, unit and currency, counted and summed exactly.
public struct RollupCell: Sendable {
    public var scope: String
    public var scopeKind: String
    public var metric: String
    public var service: String
    public var unit: String
    public var currency: String
    /// A window cell's frame window; a day cell's UTC day.
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var frames: Int
    public var quantity: ExactDecimal
    public var price: ExactDecimal
}

/// One resource's frames of one scope, UTC day and currency: count, exact price sum, and the
/// earliest frame (window start, frame id).
public struct ResourceRollup: Sendable {
    public var scope: String
    public var resource: String
    public var currency: String
    public var frames: Int
    public var price: ExactDecimal
    public var firstStart: EventTime
    public var firstFrame: FrameIdKey
}

/// The window that starts last in a period (lowest frame id among equal starts).
public struct LastWindow: Sendable, Equatable {
    public var start: EventTime
    public var frameId: FrameIdKey
    public var end: EventTime

    public init(start: EventTime, frameId: FrameIdKey, end: EventTime) {
        self.start = start; self.frameId = frameId; self.end = end
    }
}

/// The overview's reads of one commit of the index (`FrameIndex.overviewReads`).
public struct OverviewReads: Sendable {
    public var cells: [RollupCell]
    public var resources: [ResourceRollup]
    public var edgeFrames: [FrameSummary]
    public var last: LastWindow?
}

/// Reads of the rollups (RollupCells.swift): whole UTC days from the day cells, the rest of a
/// period from the window cells, so every frame whose window starts in `[from, to)` is counted
/// once, and nothing else. Each returns nil when a sum it would use overflowed Int128 (the
/// caller then reads the frame records, as it would without rollups).
extension FrameIndex {
    /// The summary rollup cells of `[from, to)`: with `byWindow` only window cells (for the
    /// `time` grouping and hour buckets), otherwise day cells for the whole days.
    public func rollupCells(scopes wanted: Set<String>?, from: EventTime, to: EventTime, byWindow: Bool) throws -> [RollupCell]? {
        guard from < to else { return [] }
        return try environment.read { txn in try rollupCells(txn, scopes: wanted, from: from, to: to, byWindow: byWindow) }
    }

    func rollupCells(_ txn: borrowing some LMDBTransactionReading & ~Copyable, scopes wanted: Set<String>?, from: EventTime,
                     to: EventTime, byWindow: Bool) throws -> [RollupCell]? {
        guard from < to else { return [] }
        let names = try strings.names(in: txn)
        var out: [RollupCell] = []
        for scope in try scopeIds(wanted, txn) {
            let (a, b) = Self.wholeDays(from, to)
            var complete: Bool
            if byWindow || a >= b {
                complete = try readCells(txn, rollupWindows, scope, from.micros, to.micros, days: false, names, &out)
            } else {
                complete = try readCells(txn, rollupWindows, scope, from.micros, a, days: false, names, &out)
                complete = try complete && readCells(txn, rollupDays, scope, a, b, days: true, names, &out)
                complete = try complete && readCells(txn, rollupWindows, scope, b, to.micros, days: false, names, &out)
            }
            if !complete { return nil }
        }
        return out
    }

    /// Appends one scope's cells of `database` whose time is in `[lo, hi)`; false when a sum overflowed.
    private func readCells(_ txn: borrowing some LMDBTransactionReading & ~Copyable, _ database: LMDBDatabase, _ scope: String,
                           _ lo: Int64, _ hi: Int64, days: Bool, _ names: [String], _ out: inout [RollupCell]) throws -> Bool {
        guard lo < hi else { return true }
        let prefix = FrameIndexKeys.scopePrefix(scope)
        let upper = prefix + FrameIndexKeys.time(hi)
        let at = prefix.count, ids = at + (days ? 8 : 16)
        var overflowed = false
        try (prefix + FrameIndexKeys.time(lo)).withUnsafeBytes { lower in
            try txn.forEach(in: database, from: lower) { entry in
                guard entry.key.lexicographicallyPrecedes(upper) else { return false }
                guard entry.key.count == ids + 20, let cell = RollupCells.Cell.decode(entry.value) else {
                    throw FrameIndexError.unreadableSummary(scope: scope)
                }
                if cell.quantity.overflowed || cell.price.overflowed { overflowed = true; return false }
                var texts: [String] = []
                for i in 0..<5 {
                    let id = Int(RollupBytes.bigEndian32(entry.key, ids + 4 * i))
                    guard id < names.count else { throw FrameIndexError.unreadableSummary(scope: scope) }
                    texts.append(names[id])
                }
                let start = Int64(bitPattern: RollupBytes.bigEndian64(entry.key, at) ^ (1 << 63))
                let end = days ? start + RollupCells.day : Int64(bitPattern: RollupBytes.bigEndian64(entry.key, at + 8) ^ (1 << 63))
                out.append(RollupCell(scope: scope, scopeKind: texts[0], metric: texts[1], service: texts[2], unit: texts[3],
                                      currency: texts[4], windowStart: EventTime(micros: start), windowEnd: EventTime(micros: end),
                                      frames: Int(cell.frames), quantity: cell.quantity.value, price: cell.price.value))
                return true
            }
        }
        return !overflowed
    }

    /// Per resource of `[from, to)`: the resource cells of the whole UTC days, and the frames of
    /// the partial days at the period's edges (as compact summaries).
    public func resourceRollups(scopes wanted: Set<String>?, from: EventTime, to: EventTime) throws
        -> (cells: [ResourceRollup], edges: [FrameSummary])? {
        try environment.read { txn in try resourceRollups(txn, scopes: wanted, from: from, to: to) }
    }

    func resourceRollups(_ txn: borrowing some LMDBTransactionReading & ~Copyable, scopes wanted: Set<String>?, from: EventTime,
                         to: EventTime) throws -> (cells: [ResourceRollup], edges: [FrameSummary])? {
        guard from < to else { return ([], []) }
        let (a, b) = Self.wholeDays(from, to)
        guard a < b else { return ([], try summaries(txn, scopes: wanted, from: from, to: to)) }
        let names = try strings.names(in: txn)
        var cells: [ResourceRollup] = []
        for scope in try scopeIds(wanted, txn) {
            let prefix = FrameIndexKeys.scopePrefix(scope)
            let upper = prefix + FrameIndexKeys.time(b)
            var overflowed = false
            try (prefix + FrameIndexKeys.time(a)).withUnsafeBytes { lower in
                try txn.forEach(in: rollupResources, from: lower) { entry in
                    guard entry.key.lexicographicallyPrecedes(upper) else { return false }
                    let ids = prefix.count + 8
                    let resource = Int(RollupBytes.bigEndian32(entry.key, ids)), currency = Int(RollupBytes.bigEndian32(entry.key, ids + 4))
                    guard entry.key.count == ids + 8, resource < names.count, currency < names.count,
                          let cell = RollupCells.ResourceCell.decode(entry.value), let first = cell.first else {
                        throw FrameIndexError.unreadableSummary(scope: scope)
                    }
                    if cell.price.overflowed { overflowed = true; return false }
                    cells.append(ResourceRollup(scope: scope, resource: names[resource], currency: names[currency], frames: Int(cell.frames),
                                              price: cell.price.value, firstStart: EventTime(micros: first.start), firstFrame: first.frameId))
                    return true
                }
            }
            if overflowed { return nil }
        }
        let edges = try summaries(txn, scopes: wanted, from: from, to: EventTime(micros: a))
            + summaries(txn, scopes: wanted, from: EventTime(micros: b), to: to)
        return (cells, edges)
    }

    /// The window that starts last in `[from, to)` among the scopes' frames (the lowest frame
    /// id among equal starts), found by reading each scope's records backwards from `to`.
    public func lastWindow(scopes wanted: Set<String>?, from: EventTime, to: EventTime) throws -> LastWindow? {
        try environment.read { txn in try lastWindow(txn, scopes: wanted, from: from, to: to) }
    }

    func lastWindow(_ txn: borrowing some LMDBTransactionReading & ~Copyable, scopes wanted: Set<String>?, from: EventTime,
                    to: EventTime) throws -> LastWindow? {
        guard from < to else { return nil }
        var best: LastWindow?
        for scope in try scopeIds(wanted, txn) {
            let prefix = FrameIndexKeys.scopePrefix(scope)
            let lower = prefix + FrameIndexKeys.time(from.micros)
            let found: LastWindow? = try (prefix + FrameIndexKeys.time(to.micros)).withUnsafeBytes { upper in
                try txn.withCursor(byScope) { cursor in
                    var entry = try cursor.seek(atOrAfter: upper) != nil ? cursor.previous() : cursor.last()
                    var last: LastWindow?
                    while let current = entry, current.key.count == prefix.count + 40, current.key.starts(with: prefix),
                          !current.key.lexicographicallyPrecedes(lower) {
                        let start = Int64(bitPattern: RollupBytes.bigEndian64(current.key, prefix.count) ^ (1 << 63))
                        if let last, last.start.micros != start { break }
                        guard current.value.count >= SummaryRecord.headerSize else { throw FrameIndexError.unreadableSummary(scope: scope) }
                        let id = prefix.count + 8
                        // Backwards within one start: each frame id is lower than the one before.
                        last = LastWindow(start: EventTime(micros: start),
                                          frameId: FrameIdKey(words: (RollupBytes.bigEndian64(current.key, id), RollupBytes.bigEndian64(current.key, id + 8),
                                                                      RollupBytes.bigEndian64(current.key, id + 16), RollupBytes.bigEndian64(current.key, id + 24))),
                                          end: EventTime(micros: Int64(bitPattern: RollupBytes.u64(current.value, 4))))
                        entry = try cursor.previous()
                    }
                    return last
                }
            }
            if let found, best.map({ found.start > $0.start || (found.start == $0.start && found.frameId < $0.frameId) }) ?? true {
                best = found
            }
        }
        return best
    }

    /// Everything the dashboard's overview reads (the rollup cells, the resource cells with the
    /// frames of partial days, the window that starts last), in one read transaction, so that
    /// the chart, the totals, the top resources and the completeness all describe the same
    /// commit of the index even while it is being written. nil when a rollup sum overflowed.
    public func overviewReads(scopes wanted: Set<String>?, from: EventTime, to: EventTime, byWindow: Bool) throws -> OverviewReads? {
        try environment.read { txn in
            guard let cells = try rollupCells(txn, scopes: wanted, from: from, to: to, byWindow: byWindow),
                  let resources = try resourceRollups(txn, scopes: wanted, from: from, to: to) else { return nil }
            return OverviewReads(cells: cells, resources: resources.cells, edgeFrames: resources.edges,
                                 last: try lastWindow(txn, scopes: wanted, from: from, to: to))
        }
    }

    /// The scopes a read covers: the ones asked for, or every scope with frames.
    func scopeIds(_ wanted: Set<String>?, _ txn: borrowing some LMDBTransactionReading & ~Copyable) throws -> [String] {
        if let wanted { return wanted.sorted() }
        var out: [String] = []
        try txn.forEach(in: scopes) { entry in out.append(String(decoding: entry.key, as: UTF8.self)); return true }
        return out
    }

    /// The whole UTC days of `[from, to)` as `[a, b)` (a ≥ b when there is none).
    static func wholeDays(_ from: EventTime, _ to: EventTime) -> (Int64, Int64) {
        let floorFrom = RollupCells.dayStart(from.micros)
        let a = floorFrom == from.micros ? floorFrom : floorFrom + RollupCells.day
        return (a, RollupCells.dayStart(to.micros))
    }

    /// Rebuilds every rollup from the compact records (the schema 3 upgrade): no topic read.
    func rebuildRollups() throws {
        var deltas = RollupCells.Deltas()
        try environment.read { txn in
            try txn.forEach(in: byScope) { entry in
                guard let contribution = RollupCells.Contribution(key: Array(entry.key), record: Array(entry.value)) else {
                    throw FrameIndexError.unreadableSummary(scope: String(decoding: entry.key.prefix { $0 != 0 }, as: UTF8.self))
                }
                deltas.replace(old: nil, new: contribution)
                return true
            }
        }
        try environment.write { txn in
            try txn.clear(rollupWindows)
            try txn.clear(rollupDays)
            try txn.clear(rollupResources)
            try deltas.flush(self, txn)
            try txn.put(meta, key: Self.schemaKey, value: FrameIndexKeys.time(Self.schemaVersion))
        }
    }
}
