import TallyCore
import Yams

/// The `defaults:` block: what a metric gets for the Tally settings it leaves out.
struct MetricDefaults {
    var aggregation = Aggregation.max
    var period: Period
    var grace = MetricsConfigLoader.defaultGrace
    var retention = MetricsConfigLoader.defaultRetention
    var scope = RatingScope.projectId
    /// The zone that P1D and P1M periods are read in.
    var zone: ZoneRules

    static let keys = ["aggregation", "period", "grace", "retention", "scope"]

    static func parse(_ node: Node?, settings: MetricsConfigLoader.Settings, reader: ConfigNodeReader) -> MetricDefaults {
        var defaults = MetricDefaults(period: Period.parse(MetricsConfigLoader.defaultPeriod, zone: settings.zone)!,
                                      zone: settings.zone)
        guard let node, let pairs = reader.mapping(node, field: "defaults") else { return defaults }
        for (key, keyNode, value) in pairs {
            let field = "defaults.\(key)"
            switch key {
            case "aggregation": defaults.aggregation = reader.aggregation(value, field: field) ?? defaults.aggregation
            case "period": defaults.period = reader.period(value, field: field, zone: settings.zone) ?? defaults.period
            case "grace": defaults.grace = reader.span(value, field: field) ?? defaults.grace
            case "retention": defaults.retention = reader.span(value, field: field) ?? defaults.retention
            case "scope": defaults.scope = reader.scope(value, field: field) ?? defaults.scope
            default: reader.report(field, at: keyNode, "unknown key; expected one of \(keys.joined(separator: ", "))")
            }
        }
        return defaults
    }
}

extension ConfigNodeReader {
    func aggregation(_ node: Node, field: String) -> Aggregation? {
        guard let name = text(node, field: field) else { return nil }
        guard let aggregation = Aggregation(configName: name) else {
            report(field, at: node, "unknown aggregation '\(name)'; expected one of "
                   + Aggregation.acceptedNames.joined(separator: ", "))
            return nil
        }
        return aggregation
    }

    /// `PT<n>M`/`PT<n>H` dividing a day, `P1D`, `P1M`, or whole seconds (CloudKitty's
    /// `period: 3600`).
    func period(_ node: Node, field: String, zone: ZoneRules) -> Period? {
        guard let text = text(node, field: field) else { return nil }
        let period = Int64(text).flatMap { Period.fixed(.seconds($0)) } ?? Period.parse(text, zone: zone)
        guard let period else {
            report(field, at: node, "unsupported period '\(text)'; use a whole number of minutes or hours that "
                   + "divides a day (PT1M, PT5M, PT15M, PT1H, PT6H…), P1D or P1M")
            return nil
        }
        return period
    }

    func scope(_ node: Node, field: String) -> RatingScope? {
        guard let name = text(node, field: field) else { return nil }
        guard let scope = RatingScope(rawValue: name) else {
            report(field, at: node, "unknown scope '\(name)'; expected project_id or user_id"); return nil
        }
        return scope
    }
}
