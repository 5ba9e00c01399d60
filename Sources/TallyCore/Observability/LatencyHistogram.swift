/// Durations counted into fixed buckets, for a Prometheus histogram (`/metrics`). A value type:
/// the loop that measures owns one and hands copies to the thread that serves scrapes.
/// Recording is a few integer operations (no allocation), so it can run once per batch.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in seconds (`le`), Prometheus' default latency buckets
    /// with a finer start: a batch commit is often under a millisecond.
    public static let boundsSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private static let boundsNanos: [UInt64] = boundsSeconds.map { UInt64($0 * 1_000_000_000) }

    /// Observations per bucket (not cumulative); the last entry counts those above every bound.
    public private(set) var bucketCounts: [UInt64] = Array(repeating: 0, count: boundsSeconds.count + 1)
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanos: UInt64 = 0

    public init() {}

    public mutating func record(nanos: UInt64) {
        var bucket = 0
        while bucket < Self.boundsNanos.count && nanos > Self.boundsNanos[bucket] { bucket += 1 }
        bucketCounts[bucket] += 1
        count += 1
        sumNanos &+= nanos
    }

    /// `(le, observations ≤ le)` for every bound, then `(+Inf, count)`: Prometheus' cumulative buckets.
    public var cumulativeBuckets: [(le: String, count: UInt64)] {
        var running: UInt64 = 0
        var result: [(le: String, count: UInt64)] = []
        for (i, bound) in Self.boundsSeconds.enumerated() {
            running += bucketCounts[i]
            result.append((bound == bound.rounded() ? String(Int(bound)) : String(bound), running))
        }
        result.append(("+Inf", count))
        return result
    }

    public var sumSeconds: Double { Double(sumNanos) / 1_000_000_000 }
}
