import TallyCore

/// The closed windows' quantities per (scope, metric), which the tiers module
/// needs to price a window as its share of the billing cycle's cumulative usage.
///
/// Windows are ordered by content only: window start, then the resource id's bytes,
/// then the groupby values (`TierOrder`). Symbol ids are assigned in first-seen
/// order, which depends on how partitions interleave, so ordering by them moved a
/// band's price between resources from one run to the next (issue 8 item 4). Two
/// windows with the same start are still strictly ordered, so the shares of a cycle
/// always add up to the tiered price of its total. Entries are persisted in
/// `StateTable.tierUsage` with the batch that closes the window.
final class TierLedger: TierUsageSource {
    struct Series: Hashable { var scope: Symbol; var metric: Symbol }

    struct Entry {
        var start: Int64
        var order: [UInt8]
        var resource: Symbol
        var group: Symbol
        var quantity: ExactDecimal
        func precedes(_ start: Int64, _ order: [UInt8]) -> Bool {
            self.start != start ? self.start < start : self.order.lexicographicallyPrecedes(order)
        }
    }

    let symbols: SymbolTable
    /// Entries sorted by (start, order), with running totals.
    private var series: [Series: (entries: [Entry], totals: [ExactDecimal])] = [:]
    /// The window being priced: `priorUsage` counts the windows ordered before it.
    var current: WindowKey? { didSet { currentOrder = current.map { TierOrder.key($0, symbols) } ?? [] } }
    private var currentOrder: [UInt8] = []
    private(set) var dirty: [(WindowKey, ExactDecimal)] = []

    init(symbols: SymbolTable) { self.symbols = symbols }

    /// Usage of the windows of the current window's series with
    /// `cycleStart ≤ start` that are ordered before the current window.
    func priorUsage(scope: String, service: String, cycleStart: EventTime, before windowStart: EventTime) -> TierPriorUsage {
        guard let key = current, let s = series[Series(scope: key.scope, metric: key.metric)] else { return .none }
        let lower = s.entries.partitionIndex { !($0.start < cycleStart.micros) }
        let upper = s.entries.partitionIndex { !$0.precedes(key.start.micros, currentOrder) }
        guard upper > lower else { return .none }
        let quantity = s.totals[upper - 1] - (lower > 0 ? s.totals[lower - 1] : .zero)
        return TierPriorUsage(quantity: quantity, windows: upper - lower)
    }

    /// Records (or replaces) the quantity of window `key`; returns true when it changed.
    @discardableResult
    func record(_ key: WindowKey, quantity: ExactDecimal, persist: Bool = true) -> Bool {
        let id = Series(scope: key.scope, metric: key.metric)
        var s = series[id] ?? ([], [])
        let entry = Entry(start: key.start.micros, order: TierOrder.key(key, symbols), resource: key.resource,
                          group: key.group, quantity: quantity)
        let i = s.entries.partitionIndex { !$0.precedes(entry.start, entry.order) }
        if i < s.entries.count, s.entries[i].start == entry.start, s.entries[i].order == entry.order {
            guard s.entries[i].quantity != quantity else { return false }
            s.entries[i].quantity = quantity
        } else {
            s.entries.insert(entry, at: i)
            s.totals.append(.zero)
        }
        for j in i..<s.entries.count { s.totals[j] = (j > 0 ? s.totals[j - 1] : .zero) + s.entries[j].quantity }
        series[id] = s
        if persist { dirty.append((key, quantity)) }
        return true
    }

    /// The windows of `key`'s series ordered after it.
    func windows(after key: WindowKey) -> [WindowKey] {
        guard let s = series[Series(scope: key.scope, metric: key.metric)] else { return [] }
        let order = TierOrder.key(key, symbols)
        let first = s.entries.partitionIndex { !$0.precedes(key.start.micros, order) }
        return s.entries[first...].filter { !($0.start == key.start.micros && $0.order == order) }
            .map { WindowKey(start: EventTime(micros: $0.start), metric: key.metric, scope: key.scope,
                             resource: $0.resource, group: $0.group) }
    }

    func persist(into txn: StateTransaction) throws {
        for (key, quantity) in dirty {
            var w = ByteWriter(capacity: 24)
            w.u64(UInt64(truncatingIfNeeded: quantity.coefficient >> 64)); w.u64(UInt64(truncatingIfNeeded: quantity.coefficient))
            w.i32(quantity.exponent)
            try txn.put(.tierUsage, StateLayout.tierUsageKey(key), w.bytes, append: false)
        }
        dirty.removeAll(keepingCapacity: true)
    }

    func restore(from txn: StateTransaction) throws {
        try txn.scan(.tierUsage, from: []) { k, v in
            let key = try StateLayout.tierUsageWindow(decoding: k)
            var vr = ByteReader(v, what: "tier usage")
            let high = Int128(Int64(bitPattern: try vr.u64())) << 64, low = Int128(try vr.u64())
            record(key, quantity: ExactDecimal(coefficient: high | low, exponent: try vr.i32()), persist: false)
            return true
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (which must be false then true).
    func partitionIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
