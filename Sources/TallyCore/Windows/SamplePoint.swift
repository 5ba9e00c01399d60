/// One sample's contribution to an order-dependent aggregation. Points are ordered by
/// timestamp, then by sample key, so that ties are broken the same way whatever the
/// arrival order.
public struct SamplePoint: Hashable, Sendable {
    public var time: EventTime
    public var key: SampleKey
    public var value: ExactDecimal
    @inlinable public init(time: EventTime, key: SampleKey, value: ExactDecimal) {
        self.time = time; self.key = key; self.value = value
    }

    @inlinable func precedes(_ other: SamplePoint) -> Bool {
        time != other.time ? time < other.time : key < other.key
    }
}

/// The points of one window sorted by (time, key), plus optionally the last point known
/// before the window (its `previous` point), for `increase` and `time_weighted_avg`.
///
/// Memory: one `SamplePoint` (48 bytes in memory, ~25 encoded) per sample in the window;
/// exactness under out-of-order arrival needs them all, because a late point may fall
/// between any two and change where a counter reset is seen or how long a value held.
struct PointSeries: Hashable, Sendable {
    var points: [SamplePoint] = []
    var previous: SamplePoint?

    /// Inserts in order; in-order arrival (the common case) is an append. A point with the
    /// same time and key as one already held replaces it.
    mutating func insert(_ point: SamplePoint) {
        if let last = points.last, !point.precedes(last) {
            if last.time == point.time && last.key == point.key { points[points.count - 1] = point }
            else { points.append(point) }
            return
        }
        var low = 0, high = points.count
        while low < high {
            let mid = (low + high) >> 1
            if points[mid].precedes(point) { low = mid + 1 } else { high = mid }
        }
        if low < points.count, points[low].time == point.time, points[low].key == point.key {
            points[low] = point
        } else {
            points.insert(point, at: low)
        }
    }

    /// Keeps the latest point before the window as the value in force at its start.
    mutating func seed(_ point: SamplePoint) {
        if let current = previous, !current.precedes(point) { return }
        previous = point
    }

    mutating func merge(_ other: PointSeries) {
        for point in other.points { insert(point) }
        if let seed = other.previous { self.seed(seed) }
    }

    /// Σ over consecutive points of the rise, where a drop means the counter restarted
    /// from 0 and so rose by the new value. The first point is the baseline unless a
    /// previous point is known.
    var increase: ExactDecimal {
        var total = ExactDecimal.zero
        var before = previous?.value
        for point in points {
            if let b = before { total = total + (point.value < b ? point.value : point.value - b) }
            before = point.value
        }
        return total
    }

    /// ∫ value dt / window length, each value holding until the next point and the last
    /// one until the window's end. Before the first point the previous point's value holds
    /// if known, else the first point's own value.
    func timeWeightedAverage(over window: WindowBounds) -> ExactDecimal {
        guard let first = points.first else { return previous?.value ?? .zero }
        let length = window.end.micros - window.start.micros
        guard length > 0 else { return first.value }
        var integral = ExactDecimal.zero
        var value = previous?.value ?? first.value
        var since = window.start.micros
        for point in points {
            let at = Swift.min(Swift.max(point.time.micros, window.start.micros), window.end.micros)
            if at > since { integral = integral + value * ExactDecimal(coefficient: Int128(at - since), exponent: 0) }
            since = Swift.max(since, at)
            value = point.value
        }
        if window.end.micros > since {
            integral = integral + value * ExactDecimal(coefficient: Int128(window.end.micros - since), exponent: 0)
        }
        return integral.divided(by: ExactDecimal(coefficient: Int128(length), exponent: 0))
    }
}
