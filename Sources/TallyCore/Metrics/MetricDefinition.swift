/// How one metric (a Ceilometer `counter_name`) is windowed, converted and described.
/// Built by TallyWire's `MetricsConfigLoader` from a metrics file; see docs/METRICS.md.
public struct MetricDefinition: Hashable, Sendable {
    /// The metric name as it arrives in samples (`cpu`, `volume.size`).
    public var key: String
    /// CloudKitty's `alt_name`: the name used in frames and as the hashmap service.
    public var altName: String?
    public var unit: String
    public var description: String?
    /// Unit conversion, CloudKitty's `qty * factor + offset`.
    public var factor: ExactDecimal
    public var offset: ExactDecimal
    /// Applied after the conversion.
    public var mutation: Mutation
    /// Fields whose values split windows (part of the window key).
    public var groupby: [FieldSpec]
    /// Fields carried into the window's description for rating, not part of the key.
    public var metadata: [FieldSpec]
    public var aggregation: Aggregation
    public var period: Period
    /// How long after a window's end samples are still folded before it closes.
    public var grace: TimeSpan
    /// How long after closing a window can still be reopened by a late sample.
    public var retention: TimeSpan
    public var scope: RatingScope
    /// A flat price per unit of converted quantity, used until rating modules are wired.
    public var pricePerUnit: ExactDecimal?
    /// What `tally route` keys the metric's samples by (docs/SCALE.md).
    public var routeKey: RouteKey

    public init(key: String, altName: String? = nil, unit: String, description: String? = nil,
                factor: ExactDecimal = .one, offset: ExactDecimal = .zero, mutation: Mutation = .none,
                groupby: [FieldSpec] = [], metadata: [FieldSpec] = [], aggregation: Aggregation = .max,
                period: Period, grace: TimeSpan, retention: TimeSpan, scope: RatingScope = .projectId,
                pricePerUnit: ExactDecimal? = nil, routeKey: RouteKey = .resource) {
        self.key = key; self.altName = altName; self.unit = unit; self.description = description
        self.factor = factor; self.offset = offset; self.mutation = mutation
        self.groupby = groupby; self.metadata = metadata; self.aggregation = aggregation
        self.period = period; self.grace = grace; self.retention = retention
        self.scope = scope; self.pricePerUnit = pricePerUnit; self.routeKey = routeKey
    }

    /// The name in frames and the hashmap service name: `alt_name`, else the key.
    public var serviceName: String { altName ?? key }

    /// The rated quantity of a window from its aggregated raw quantity:
    /// `mutate(aggregate * factor + offset)`, in that order, once per window —
    /// CloudKitty's collectors convert and mutate the aggregated value the same way.
    public func ratedQuantity(fromAggregate aggregate: ExactDecimal) -> ExactDecimal {
        let converted = (factor == .one && offset.isZero) ? aggregate : aggregate * factor + offset
        return mutation.apply(to: converted)
    }
}
