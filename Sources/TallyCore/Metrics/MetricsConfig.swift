/// The whole metrics configuration: every metric plus the settings shared by all.
public struct MetricsConfig: Sendable {
    /// Metrics in file order. A metric's index here is a stable small id for window keys
    /// within one configuration.
    public let metrics: [MetricDefinition]
    /// The zone of P1D and P1M periods and of billing cycles.
    public let timeZone: ZoneRules
    /// After this much wall-clock time without a record, a partition's event clock
    /// follows the wall clock (see `PartitionClock`).
    public let idleTimeout: TimeSpan
    /// Samples stamped further than this ahead of the wall clock are dead-lettered
    /// as `future-timestamp`.
    public let maxFutureSkew: TimeSpan
    /// Samples stamped before this instant are never rated (`too-late`): the event clock's
    /// configured lower bound, which also holds before the clock exists (nil: none).
    public let earliestEventTime: EventTime?

    private let indexByKey: [String: Int]

    /// Fails (returns nil) if two metrics share a key; the loader reports that first.
    public init?(metrics: [MetricDefinition], timeZone: ZoneRules, idleTimeout: TimeSpan, maxFutureSkew: TimeSpan,
                 earliestEventTime: EventTime? = nil) {
        var index: [String: Int] = [:]
        for (i, metric) in metrics.enumerated() {
            guard index.updateValue(i, forKey: metric.key) == nil else { return nil }
        }
        self.metrics = metrics
        self.timeZone = timeZone
        self.idleTimeout = idleTimeout
        self.maxFutureSkew = maxFutureSkew
        self.earliestEventTime = earliestEventTime
        self.indexByKey = index
    }

    /// The index of the metric named `key`; nil means the sample is an unknown metric
    /// (dead-lettered as `unknown-metric`).
    public func index(ofMetric key: String) -> Int? { indexByKey[key] }

    public func metric(named key: String) -> MetricDefinition? { index(ofMetric: key).map { metrics[$0] } }

    /// The billing cycle: calendar months in the configured zone.
    public var billingCycle: Period { .month(in: timeZone) }
}
