/// The running aggregate of one window. A value type, fixed-size for sum, avg, count,
/// max, min and last; `unique_count` keeps a bounded fingerprint set, and `increase` and
/// `time_weighted_avg` keep the window's points (see `PointSeries`).
///
/// Every aggregation gives the same quantity whatever the order in which samples are
/// folded (and whatever the split between accumulators that are then merged). Not
/// thread-safe; owned by one partition worker.
public struct Accumulator: Hashable, Sendable {
    public let aggregation: Aggregation
    public let window: WindowBounds
    /// Samples folded in (merges add up).
    public private(set) var sampleCount: Int64 = 0
    var state: State

    enum State: Hashable, Sendable {
        /// sum, avg: Σ volume. count: unused zero.
        case total(ExactDecimal)
        /// max, min: the extreme so far, nil before the first sample.
        case extremum(ExactDecimal?)
        case last(SamplePoint?)
        case distinct(DistinctValues)
        case series(PointSeries)
    }

    public init(aggregation: Aggregation, window: WindowBounds) {
        self.aggregation = aggregation
        self.window = window
        switch aggregation {
        case .sum, .avg, .count: state = .total(.zero)
        case .max, .min: state = .extremum(nil)
        case .last: state = .last(nil)
        case .uniqueCount: state = .distinct(DistinctValues())
        case .timeWeightedAverage, .increase: state = .series(PointSeries())
        }
    }

    init(aggregation: Aggregation, window: WindowBounds, sampleCount: Int64, state: State) {
        self.aggregation = aggregation; self.window = window
        self.sampleCount = sampleCount; self.state = state
    }

    /// Takes over the storage of `spare`'s points, emptied with its capacity kept, if both keep
    /// points and this one holds none yet; `spare` is left holding nothing. The engine builds a
    /// new window in the slot of a window it let go of: growing a new window's points from
    /// empty cost a malloc, a copy and a free at each doubling (~2% of the fold's instructions
    /// in `tally-bench fold`). Nothing observable changes: the points are the same values.
    public mutating func reuseStorage(of spare: inout Accumulator) {
        guard sampleCount == 0, case .series(let mine) = state, mine.points.isEmpty, mine.previous == nil,
              case .series(var storage) = spare.state else { return }
        spare.state = .total(.zero)  // let go of the array, so it stays uniquely referenced
        storage.points.removeAll(keepingCapacity: true)
        storage.previous = nil
        state = .series(storage)
    }

    /// Folds one sample's volume, taken at `time`, identified by `key`.
    public mutating func fold(_ value: ExactDecimal, at time: EventTime, key: SampleKey) {
        sampleCount += 1
        switch state {
        case .total(let total):
            if aggregation != .count { state = .total(total + value) }
        case .extremum(let current):
            guard let current else { state = .extremum(value); return }
            let replace = aggregation == .max ? current < value : value < current
            if replace { state = .extremum(value) }
        case .last(let current):
            let point = SamplePoint(time: time, key: key, value: value)
            if current == nil || current!.precedes(point) { state = .last(point) }
        case .distinct(var values):
            state = .total(.zero)  // drop the reference so the set is mutated in place
            values.insert(value)
            state = .distinct(values)
        case .series(var series):
            state = .total(.zero)
            series.insert(SamplePoint(time: time, key: key, value: value))
            state = .series(series)
        }
    }

    /// Records the latest known point before the window (time < window start): the value
    /// in force when the window opens, for `time_weighted_avg`, and the baseline of the
    /// first rise, for `increase`. Ignored by the other aggregations. The engine passes
    /// the last point of the previous window of the same key when it has it.
    public mutating func seedPrevious(_ value: ExactDecimal, at time: EventTime) {
        guard time < window.start, case .series(var series) = state else { return }
        state = .total(.zero)
        series.seed(SamplePoint(time: time, key: SampleKey(high: 0, low: 0), value: value))
        state = .series(series)
    }

    /// Folds in another accumulator of the same aggregation and window.
    public mutating func merge(_ other: Accumulator) {
        precondition(aggregation == other.aggregation && window == other.window,
                     "merging accumulators of different aggregations or windows")
        sampleCount += other.sampleCount
        switch (state, other.state) {
        case (.total(let a), .total(let b)):
            state = .total(a + b)
        case (.extremum(let a), .extremum(let b)):
            guard let b else { return }
            guard let a else { state = .extremum(b); return }
            state = .extremum(aggregation == .max ? (a < b ? b : a) : (b < a ? b : a))
        case (.last(let a), .last(let b)):
            guard let b else { return }
            if a == nil || a!.precedes(b) { state = .last(b) }
        case (.distinct(var a), .distinct(let b)):
            a.merge(b); state = .distinct(a)
        case (.series(var a), .series(let b)):
            a.merge(b); state = .series(a)
        default:
            preconditionFailure("accumulator states do not match their aggregation")
        }
    }

    /// The aggregated raw quantity (before the metric's factor, offset and mutate).
    /// 0 when no sample was folded, except `time_weighted_avg` with a previous point.
    public var quantity: ExactDecimal {
        switch state {
        case .total(let total):
            switch aggregation {
            case .count: return ExactDecimal(coefficient: Int128(sampleCount), exponent: 0)
            case .avg: return sampleCount == 0 ? .zero : total.divided(by: ExactDecimal(coefficient: Int128(sampleCount), exponent: 0))
            default: return total
            }
        case .extremum(let value): return value ?? .zero
        case .last(let point): return point?.value ?? .zero
        case .distinct(let values): return ExactDecimal(values.count)
        case .series(let series):
            return aggregation == .increase ? series.increase : series.timeWeightedAverage(over: window)
        }
    }

    /// True for `unique_count` once more than `DistinctValues.limit` distinct values were
    /// seen: the quantity is then a lower bound.
    public var isSaturated: Bool {
        if case .distinct(let values) = state { return values.saturated }
        return false
    }

    /// The latest point folded (greatest time, then key), for seeding the next window;
    /// nil unless the aggregation keeps points.
    public var lastPoint: SamplePoint? {
        switch state {
        case .last(let point): return point
        case .series(let series): return series.points.last
        default: return nil
        }
    }
}
