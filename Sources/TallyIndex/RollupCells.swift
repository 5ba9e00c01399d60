import TallyCore
import TallyLMDB

/// The index's rollups: exact sums maintained at index time, in the transaction that indexes
/// the frames, so summaries and the overview read a few cells instead of every frame.
///
/// - `rollup_windows`: per scope × frame window (start, end) × scope kind × metric × service
///   × unit × currency: frame count, sum of quantities, sum of prices. Answers the `time`
///   grouping and any period edge that is not a whole UTC day.
/// - `rollup_days`: the same per scope × UTC day of the window start (no window end): whole
///   days, weeks, months and years of a period.
/// - `rollup_resources`: per scope × UTC day × resource × currency: frame count, sum of
///   prices, and the earliest frame (window start, frame id), for the overview's top resources.
///
/// Keys start with the scope and its NUL, then the big-endian biased time (FrameIndexKeys),
/// then big-endian string ids, so a scope's cells are in time order. A cell's value:
///
///     frames i64 | flags u8 (1: a sum overflowed) | quantity sum (i128, i32) | price sum (i128, i32)
///     resource cells: frames i64 | flags u8 | price sum | first start i64 | first frame id (32 bytes)
///
/// A cell whose count drops to zero is deleted. What one frame contributes is read from its
/// compact record (SummaryRecord), so the index, its upgrade and the rollups agree by construction.
enum RollupCells {
    static let day: Int64 = 86_400_000_000
    static let cellSize = 8 + 1 + 2 * RollupSum.encodedSize
    static let resourceSize = 8 + 1 + RollupSum.encodedSize + 8 + 32

    static func dayStart(_ micros: Int64) -> Int64 {
        let (q, r) = micros.quotientAndRemainder(dividingBy: day)
        return (r < 0 ? q - 1 : q) * day
    }

    /// What a compact record contributes, read from its `by_scope` key and value.
    struct Contribution {
        var scopePrefix: ArraySlice<UInt8>
        var start: Int64
        var frameId: FrameIdKey
        var end: Int64
        var quantity: ExactDecimal
        var price: ExactDecimal
        var scopeKind: UInt32, metric: UInt32, service: UInt32, resource: UInt32, unit: UInt32, currency: UInt32

        init?(key: [UInt8], record: [UInt8]) {
            guard key.count >= 41, record.count >= SummaryRecord.headerSize else { return nil }
            let idStart = key.count - 32
            var parsed: (Int64, FrameIdKey, Int64, ExactDecimal, ExactDecimal, [UInt32]) = (0, FrameIdKey(words: (0, 0, 0, 0)), 0, .zero, .zero, [])
            key.withUnsafeBytes { k in
                record.withUnsafeBytes { v in
                    func decimal(_ at: Int) -> ExactDecimal {
                        let low = RollupBytes.u64(v, at), high = RollupBytes.u64(v, at + 8)
                        return ExactDecimal(coefficient: Int128(bitPattern: UInt128(high) << 64 | UInt128(low)),
                                            exponent: Int32(bitPattern: RollupBytes.u32(v, at + 16)))
                    }
                    parsed = (Int64(bitPattern: RollupBytes.bigEndian64(k, idStart - 8) ^ (1 << 63)),
                              FrameIdKey(words: (RollupBytes.bigEndian64(k, idStart), RollupBytes.bigEndian64(k, idStart + 8),
                                                 RollupBytes.bigEndian64(k, idStart + 16), RollupBytes.bigEndian64(k, idStart + 24))),
                              Int64(bitPattern: RollupBytes.u64(v, 4)), decimal(12), decimal(32),
                              [52, 56, 60, 64, 72, 76].map { RollupBytes.u32(v, $0) })
                }
            }
            scopePrefix = key[0..<(idStart - 8)]
            (start, frameId, end, quantity, price) = (parsed.0, parsed.1, parsed.2, parsed.3, parsed.4)
            (scopeKind, metric, service, resource, unit, currency) = (parsed.5[0], parsed.5[1], parsed.5[2], parsed.5[3], parsed.5[4], parsed.5[5])
        }

        private func dims(into key: inout [UInt8]) {
            for id in [scopeKind, metric, service, unit, currency] { RollupBytes.appendBigEndian(id, to: &key) }
        }

        var windowKey: [UInt8] {
            var key = Array(scopePrefix)
            key += FrameIndexKeys.time(start) + FrameIndexKeys.time(end)
            dims(into: &key)
            return key
        }

        var dayKey: [UInt8] {
            var key = Array(scopePrefix)
            key += FrameIndexKeys.time(RollupCells.dayStart(start))
            dims(into: &key)
            return key
        }

        var resourceKey: [UInt8] {
            var key = Array(scopePrefix)
            key += FrameIndexKeys.time(RollupCells.dayStart(start))
            RollupBytes.appendBigEndian(resource, to: &key)
            RollupBytes.appendBigEndian(currency, to: &key)
            return key
        }
    }

    struct Cell {
        var frames: Int64 = 0
        var quantity = RollupSum()
        var price = RollupSum()

        mutating func add(_ other: Cell) {
            frames += other.frames
            quantity.add(other.quantity)
            price.add(other.price)
        }

        func encoded() -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(RollupCells.cellSize)
            RollupBytes.append(UInt64(bitPattern: frames), to: &out)
            out.append((quantity.overflowed ? 1 : 0) | (price.overflowed ? 2 : 0))
            quantity.encode(into: &out)
            price.encode(into: &out)
            return out
        }

        static func decode(_ bytes: UnsafeRawBufferPointer) -> Cell? {
            guard bytes.count == RollupCells.cellSize else { return nil }
            let flags = bytes[8]
            return Cell(frames: Int64(bitPattern: RollupBytes.u64(bytes, 0)),
                        quantity: .decode(bytes, at: 9, overflowed: flags & 1 != 0),
                        price: .decode(bytes, at: 9 + RollupSum.encodedSize, overflowed: flags & 2 != 0))
        }
    }

    struct ResourceCell {
        var frames: Int64 = 0
        var price = RollupSum()
        /// The earliest frame of the cell (window start, frame id); nil while unknown.
        var first: (start: Int64, frameId: FrameIdKey)?

        mutating func add(_ other: ResourceCell) {
            frames += other.frames
            price.add(other.price)
            if let theirs = other.first { include(theirs) }
        }

        mutating func include(_ frame: (start: Int64, frameId: FrameIdKey)) {
            if let mine = first, (mine.start, mine.frameId) <= (frame.start, frame.frameId) { return }
            first = frame
        }

        func encoded() -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(RollupCells.resourceSize)
            RollupBytes.append(UInt64(bitPattern: frames), to: &out)
            out.append(price.overflowed ? 2 : 0)
            price.encode(into: &out)
            let first = first ?? (0, FrameIdKey(words: (0, 0, 0, 0)))
            RollupBytes.append(UInt64(bitPattern: first.start), to: &out)
            let words = first.frameId.words
            for word in [words.0, words.1, words.2, words.3] { RollupBytes.appendBigEndian(word, to: &out) }
            return out
        }

        static func decode(_ bytes: UnsafeRawBufferPointer) -> ResourceCell? {
            guard bytes.count == RollupCells.resourceSize else { return nil }
            let at = 9 + RollupSum.encodedSize
            let id = FrameIdKey(words: (RollupBytes.bigEndian64(bytes, at + 8), RollupBytes.bigEndian64(bytes, at + 16),
                                        RollupBytes.bigEndian64(bytes, at + 24), RollupBytes.bigEndian64(bytes, at + 32)))
            return ResourceCell(frames: Int64(bitPattern: RollupBytes.u64(bytes, 0)),
                                price: .decode(bytes, at: 9, overflowed: bytes[8] & 2 != 0),
                                first: (Int64(bitPattern: RollupBytes.u64(bytes, at)), id))
        }
    }

    /// The changes one transaction makes to the rollups, summed in memory per cell and written
    /// once per cell at its end (a batch of one hour's frames touches few cells).
    struct Deltas {
        var windows: [[UInt8]: Cell] = [:]
        var days: [[UInt8]: Cell] = [:]
        var resources: [[UInt8]: ResourceCell] = [:]
        /// Resource cells a frame left for another (its currency changed): their earliest
        /// frame is looked up again once the transaction's records are written.
        var resourcesLeft: Set<[UInt8]> = []

        mutating func replace(old: Contribution?, new: Contribution) {
            if let old {
                var removed = Cell(frames: -1)
                removed.quantity.add(old.quantity, negated: true)
                removed.price.add(old.price, negated: true)
                windows[old.windowKey, default: Cell()].add(removed)
                days[old.dayKey, default: Cell()].add(removed)
                var resource = ResourceCell(frames: -1)
                resource.price.add(old.price, negated: true)
                let key = old.resourceKey
                resources[key, default: ResourceCell()].add(resource)
                if key != new.resourceKey { resourcesLeft.insert(key) }
            }
            var added = Cell(frames: 1)
            added.quantity.add(new.quantity)
            added.price.add(new.price)
            windows[new.windowKey, default: Cell()].add(added)
            days[new.dayKey, default: Cell()].add(added)
            var resource = ResourceCell(frames: 1, first: (new.start, new.frameId))
            resource.price.add(new.price)
            resources[new.resourceKey, default: ResourceCell()].add(resource)
        }

        /// Writes every changed cell (stored value plus delta; deleted at zero frames).
        func flush(_ index: FrameIndex, _ txn: borrowing LMDBWriteTransaction) throws {
            for (database, deltas) in [(index.rollupWindows, windows), (index.rollupDays, days)] {
                for (key, delta) in deltas {
                    var cell = try key.withUnsafeBytes { k in try txn.get(database, key: k).flatMap(Cell.decode) } ?? Cell()
                    cell.add(delta)
                    if cell.frames <= 0 { _ = try txn.delete(database, key: key) } else { try txn.put(database, key: key, value: cell.encoded()) }
                }
            }
            for (key, delta) in resources {
                var cell = try key.withUnsafeBytes { k in try txn.get(index.rollupResources, key: k).flatMap(ResourceCell.decode) }
                    ?? ResourceCell()
                cell.add(delta)
                if cell.frames <= 0 { _ = try txn.delete(index.rollupResources, key: key); continue }
                if resourcesLeft.contains(key) { cell.first = try earliestFrame(of: key, index, txn) }
                try txn.put(index.rollupResources, key: key, value: cell.encoded())
            }
        }

        /// The earliest (window start, frame id) among the records of a resource cell's scope
        /// and day whose resource and currency are the cell's.
        private func earliestFrame(of key: [UInt8], _ index: FrameIndex, _ txn: borrowing LMDBWriteTransaction) throws
            -> (start: Int64, frameId: FrameIdKey)? {
            let prefixEnd = key.count - 16
            let scopePrefix = Array(key[0..<prefixEnd])
            let wanted = Array(key[(prefixEnd + 8)...])
            let day = FrameIndexKeys.readTime(key[prefixEnd..<(prefixEnd + 8)])
            let upper = scopePrefix + FrameIndexKeys.time(day + RollupCells.day)
            var first: (start: Int64, frameId: FrameIdKey)?
            try (scopePrefix + FrameIndexKeys.time(day)).withUnsafeBytes { lower in
                try txn.forEach(in: index.byScope, from: lower) { entry in
                    guard entry.key.lexicographicallyPrecedes(upper) else { return false }
                    guard let c = Contribution(key: Array(entry.key), record: Array(entry.value)) else { return true }
                    var ids: [UInt8] = []
                    RollupBytes.appendBigEndian(c.resource, to: &ids)
                    RollupBytes.appendBigEndian(c.currency, to: &ids)
                    // by_scope is in (start, frame id) order: the first match is the earliest.
                    if ids == wanted { first = (c.start, c.frameId); return false }
                    return true
                }
            }
            return first
        }
    }
}
