import Foundation
import TallyCore
import TallyLMDB

/// The frame index of `tally serve`: its own LMDB environment, fed from the frames topic.
///
/// It keeps every revision of every frame, the latest revision per frame id, two orderings of
/// the latest revisions (per scope by window start, and by window start alone), each scope's
/// last processed event time, and the next offset to read per partition. One `apply` is one
/// write transaction holding the records and the offsets they advance, so a restart resumes
/// exactly where the last commit stopped, and a deleted directory is rebuilt from the topic.
///
/// Resent frames (same id and revision) are kept once; one that differs from the first copy
/// is counted in `conflicts` and not indexed, as `tally report` does.
public final class FrameIndex: @unchecked Sendable {
    public struct Record: Sendable {
        public var partition: Int32
        public var offset: Int64
        public var value: [UInt8]
        public init(partition: Int32, offset: Int64, value: [UInt8]) {
            self.partition = partition; self.offset = offset; self.value = value
        }
    }

    /// What the index holds, for /metrics and tests.
    public struct Counts: Sendable, Equatable {
        public var frames = 0
        public var revisions = 0
        public var records = 0
        public var duplicates = 0
        public var conflicts = 0
        public var malformed = 0
    }

    /// The state of one scope, CloudKitty's `/v2/scope`.
    public struct ScopeState: Sendable, Equatable {
        public var scope: String
        public var kind: String
        /// The end of the latest window of the scope that was rated and emitted.
        public var lastProcessed: EventTime
    }

    let environment: LMDBEnvironment
    let latest: LMDBDatabase
    let revisions: LMDBDatabase
    let byScope: LMDBDatabase
    let byTime: LMDBDatabase
    let scopes: LMDBDatabase
    let offsets: LMDBDatabase
    let meta: LMDBDatabase
    /// Rated data imported through `POST /v2/dataframes`: kept apart from the rater's frames
    /// (never in summaries or bills), in arrival order.
    let imported: LMDBDatabase
    /// Reprocessing tasks accepted by `POST /v2/task/reprocesses` (each a JSON document), in
    /// arrival order: kept so that `GET` lists them after a restart. Not derived from the
    /// frames topic, so a rebuilt index starts without them.
    let tasks: LMDBDatabase
    /// Interned texts of the compact summary records (StringTable.swift).
    let strings: StringTable
    /// Exact sums maintained at index time (RollupCells.swift).
    let rollupWindows: LMDBDatabase
    let rollupDays: LMDBDatabase
    let rollupResources: LMDBDatabase

    public init(path: String, mapSizeMiB: Int = 16_384) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        environment = try LMDBEnvironment(path: path, mapSize: mapSizeMiB << 20)
        latest = try environment.openDatabase(named: "latest")
        revisions = try environment.openDatabase(named: "revisions")
        byScope = try environment.openDatabase(named: "by_scope")
        byTime = try environment.openDatabase(named: "by_time")
        scopes = try environment.openDatabase(named: "scopes")
        offsets = try environment.openDatabase(named: "offsets")
        meta = try environment.openDatabase(named: "meta")
        imported = try environment.openDatabase(named: "imported")
        tasks = try environment.openDatabase(named: "reprocess_tasks")
        strings = StringTable(textToId: try environment.openDatabase(named: "strings"),
                              idToText: try environment.openDatabase(named: "string_ids"))
        rollupWindows = try environment.openDatabase(named: "rollup_windows")
        rollupDays = try environment.openDatabase(named: "rollup_days")
        rollupResources = try environment.openDatabase(named: "rollup_resources")
        try upgradeSchema()
    }

    public func close() { environment.close() }

    /// Indexes `records` and advances each partition's offset past them, in one transaction.
    public func apply(_ records: [Record]) throws {
        guard !records.isEmpty else { return }
        var interned: [(UInt32, String)] = []
        try environment.write { txn in
            var interner = try StringInterner(table: strings, txn: txn)
            defer { interned = interner.added }
            var counts = try Self.readCounts(txn, meta)
            var next: [Int32: Int64] = [:]
            var rollups = RollupCells.Deltas()
            for record in records {
                next[record.partition] = max(next[record.partition] ?? 0, record.offset + 1)
                counts.records += 1
                guard let frame = IndexedFrame(bytes: record.value) else { counts.malformed += 1; continue }
                let revisionKey = FrameIndexKeys.revision(frame.frameId, frame.revision)
                if let first = try txn.get(revisions, key: revisionKey) {
                    if first == record.value { counts.duplicates += 1 } else { counts.conflicts += 1 }
                    continue
                }
                try txn.put(revisions, key: revisionKey, value: record.value)
                counts.revisions += 1
                // The window start is part of the frame id, so the key never moves: a newer
                // revision replaces the compact record in place, and its rollup contribution.
                let scopeRecordKey = FrameIndexKeys.byScope(frame.scope, start: frame.windowStart.micros, frameId: frame.frameId)
                let previous = try txn.get(byScope, key: scopeRecordKey)
                if let previous {
                    guard let stored = SummaryRecord.revision(previous) else { throw FrameIndexError.unreadableSummary(scope: frame.scope) }
                    guard stored < UInt32(clamping: frame.revision) else { continue }
                } else {
                    counts.frames += 1
                    try txn.put(byTime, key: FrameIndexKeys.byTime(start: frame.windowStart.micros, frameId: frame.frameId),
                                value: [1])
                }
                let compact = try SummaryRecord.encode(frame, &interner, txn)
                guard let contribution = RollupCells.Contribution(key: scopeRecordKey, record: compact) else {
                    throw FrameIndexError.unreadableSummary(scope: frame.scope)
                }
                rollups.replace(old: previous.flatMap { RollupCells.Contribution(key: scopeRecordKey, record: $0) }, new: contribution)
                try txn.put(byScope, key: scopeRecordKey, value: compact)
                let id = Array(frame.frameId.utf8)
                try txn.put(latest, key: id, value: record.value)
                let scopeKey = Array(frame.scope.utf8)
                let lastEnd = try txn.get(scopes, key: scopeKey).map { FrameIndexKeys.readTime($0) } ?? Int64.min
                if frame.windowEnd.micros > lastEnd {
                    try txn.put(scopes, key: scopeKey, value: FrameIndexKeys.time(frame.windowEnd.micros) + Array(frame.scopeKind.utf8))
                }
            }
            for (partition, offset) in next {
                let key = FrameIndexKeys.partition(partition)
                let stored = try txn.get(offsets, key: key).map { FrameIndexKeys.readTime($0) } ?? 0
                if offset > stored { try txn.put(offsets, key: key, value: FrameIndexKeys.time(offset)) }
            }
            try rollups.flush(self, txn)
            try Self.writeCounts(counts, txn, meta)
        }
        strings.commit(interned)
    }

    /// The next offset to read per partition (partitions never read are absent).
    public func storedOffsets() throws -> [Int32: Int64] {
        try environment.read { txn in
            var out: [Int32: Int64] = [:]
            try txn.forEach(in: offsets) { entry in
                out[Int32(bitPattern: FrameIndexKeys.readBigEndian32(entry.key))] = FrameIndexKeys.readTime(entry.value)
                return true
            }
            return out
        }
    }

    public func counts() throws -> Counts { try environment.read { try Self.readCounts($0, meta) } }

    /// The latest revision of every frame whose window starts in `[from, to)`; with `scopes`,
    /// only those scopes' frames (read from the per-scope ordering, so other scopes are never touched).
    public func frames(scopes wanted: Set<String>?, from: EventTime, to: EventTime) throws -> [IndexedFrame] {
        guard from < to else { return [] }
        return try environment.read { txn in
            var ids: [[UInt8]] = []
            let end = FrameIndexKeys.time(to.micros)
            if let wanted {
                for scope in wanted.sorted() {
                    let prefix = FrameIndexKeys.scopePrefix(scope)
                    let lower = prefix + FrameIndexKeys.time(from.micros), upper = prefix + end
                    try lower.withUnsafeBytes { bound in
                        try txn.forEach(in: byScope, from: bound) { entry in
                            guard entry.key.lexicographicallyPrecedes(upper) else { return false }
                            ids.append(Array(entry.key.suffix(32)))
                            return true
                        }
                    }
                }
            } else {
                try FrameIndexKeys.time(from.micros).withUnsafeBytes { bound in
                    try txn.forEach(in: byTime, from: bound) { entry in
                        guard entry.key.lexicographicallyPrecedes(end) else { return false }
                        ids.append(Array(entry.key.suffix(32)))
                        return true
                    }
                }
            }
            return try ids.compactMap { id in try txn.get(latest, key: id).flatMap(IndexedFrame.init(bytes:)) }
        }
    }

    /// The latest revision of one frame.
    public func frame(id: String) throws -> IndexedFrame? {
        try environment.read { txn in try txn.get(latest, key: Array(id.utf8)).flatMap(IndexedFrame.init(bytes:)) }
    }

    /// Every revision of one frame, oldest first, verbatim.
    public func revisions(of id: String) throws -> [[UInt8]] {
        try environment.read { txn in try txn.entries(in: revisions, prefix: Array(id.utf8)).map(\.value) }
    }

    /// Every scope with frames, by id.
    public func scopeStates() throws -> [ScopeState] {
        try environment.read { txn in
            var out: [ScopeState] = []
            try txn.forEach(in: scopes) { entry in
                out.append(ScopeState(scope: String(decoding: entry.key, as: UTF8.self),
                                      kind: String(decoding: entry.value.dropFirst(8), as: UTF8.self),
                                      lastProcessed: EventTime(micros: FrameIndexKeys.readTime(entry.value))))
                return true
            }
            return out
        }
    }

    /// Appends imported points (each a JSON document) in one transaction.
    public func appendImported(_ points: [[UInt8]]) throws { try append(points, to: imported) }

    /// Every imported point, in arrival order.
    public func importedPoints() throws -> [[UInt8]] { try all(in: imported) }

    /// Appends reprocessing tasks (each a JSON document) in one transaction.
    public func appendReprocessTasks(_ documents: [[UInt8]]) throws { try append(documents, to: tasks) }

    /// Every reprocessing task stored, in arrival order.
    public func reprocessTasks() throws -> [[UInt8]] { try all(in: tasks) }

    private func append(_ documents: [[UInt8]], to database: LMDBDatabase) throws {
        try environment.write { txn in
            var next = try txn.statistics(database).entries
            for document in documents {
                try txn.put(database, key: FrameIndexKeys.time(Int64(next)), value: document)
                next += 1
            }
        }
    }

    private func all(in database: LMDBDatabase) throws -> [[UInt8]] {
        try environment.read { txn in
            var out: [[UInt8]] = []
            try txn.forEach(in: database) { entry in out.append(Array(entry.value)); return true }
            return out
        }
    }

    static let countsKey = Array("counts".utf8)

    static func readCounts(_ txn: borrowing some LMDBTransactionReading & ~Copyable, _ meta: LMDBDatabase) throws -> Counts {
        guard let bytes = try txn.get(meta, key: countsKey), bytes.count == 48 else { return Counts() }
        func field(_ i: Int) -> Int { Int(FrameIndexKeys.readTime(bytes[(i * 8)..<(i * 8 + 8)])) }
        return Counts(frames: field(0), revisions: field(1), records: field(2), duplicates: field(3),
                      conflicts: field(4), malformed: field(5))
    }

    static func writeCounts(_ counts: Counts, _ txn: borrowing LMDBWriteTransaction, _ meta: LMDBDatabase) throws {
        let fields = [counts.frames, counts.revisions, counts.records, counts.duplicates, counts.conflicts, counts.malformed]
        try txn.put(meta, key: countsKey, value: fields.flatMap { FrameIndexKeys.time(Int64($0)) })
    }
}
