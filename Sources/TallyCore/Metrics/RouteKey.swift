/// What `tally route` keys a metric's samples by (a metrics file's `route_key`), so that
/// everything one rater must see together lands on one partition of the route topic.
public enum RouteKey: String, Sendable, CaseIterable {
    /// `project 0x1F resource 0x1F metric` (the default): a resource's windows, counter
    /// baselines and frames stay on one partition; load spreads by resource.
    case resource
    /// `project 0x1F 0x1F metric`: every sample of a project's metric on one partition,
    /// so its cumulative tiers (per project and cycle) are counted by one rater. Skewed by
    /// the largest project's usage of the metric.
    case project
    /// `user 0x1F 0x1F metric`, for a metric rated per user (`scope: user_id`) on tiers.
    case user
}
