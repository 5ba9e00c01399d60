import TallyCore
import TallyEngine

extension GroupRaterService {
    /// Cumulative tiers sum a scope's usage of a service over a cycle, and a task sees only
    /// its own partition. They are exact in group mode only when `tally route` puts every
    /// sample of the service's scope on one partition: the service is fed by one metric and
    /// that metric has `route_key: project` (or `user`) in the metrics file (docs/SCALE.md,
    /// "tiers across partitions"). Anything else is refused, naming the metrics, rather than
    /// priced on a partial ledger.
    static func checkTiers(metrics: MetricsConfig, pricer: WindowPricer) throws {
        let tiered = metrics.metrics.filter { pricer.usesCumulativeUsage(service: $0.serviceName) }
        let byResource = tiered.filter { $0.routeKey == .resource }
        guard byResource.isEmpty else {
            let named = byResource.map { $0.key == $0.serviceName ? $0.key : "\($0.key) (service \($0.serviceName))" }
            throw GroupModeError("group mode cannot price cumulative tiers of metrics keyed by resource "
                + "(\(named.joined(separator: ", "))): a task sees only its partition's share of a project's usage; "
                + "set `route_key: project` on them in the metrics file (`route_key: user` for a metric rated per user) "
                + "so `tally route` puts a project's whole usage on one partition (docs/SCALE.md)")
        }
        // The route key names the metric, so two metrics of one tiered service land on two partitions.
        let metricsOfService = Dictionary(grouping: tiered, by: \.serviceName).filter { $0.value.count > 1 }
        guard metricsOfService.isEmpty else {
            let named = metricsOfService.keys.sorted().map { "\($0): \(metricsOfService[$0]!.map(\.key).sorted().joined(separator: ", "))" }
            throw GroupModeError("group mode cannot price cumulative tiers of a service fed by several metrics "
                + "(\(named.joined(separator: "; "))): `tally route` keys each metric apart, so the service's usage "
                + "would span partitions; rate them with one rater (docs/SCALE.md)")
        }
    }
}
