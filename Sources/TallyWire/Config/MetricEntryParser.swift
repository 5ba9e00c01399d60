import TallyCore
import Yams

/// Reads one entry of `metrics:`. CloudKitty's keys keep CloudKitty's meaning and
/// checks (MAP needs `mutate_map`, a name may not be both groupby and metadata).
struct MetricEntryParser {
    let name: String
    let defaults: MetricDefaults
    let reader: ConfigNodeReader

    static let keys = ["unit", "factor", "offset", "mutate", "mutate_map", "alt_name", "description", "groupby",
                       "metadata", "extra_args", "aggregation", "period", "grace", "retention", "scope",
                       "price_per_unit", "route_key"]

    func parse(_ body: Node) -> MetricDefinition? {
        let problemsBefore = reader.problems.count
        guard let pairs = reader.mapping(body, field: "(metric)") else { return nil }
        var values: [String: Node] = [:]
        for (key, keyNode, value) in pairs {
            if Self.keys.contains(key) { values[key] = value }
            else { reader.report(key, at: keyNode, "unknown key; expected one of \(Self.keys.joined(separator: ", "))") }
        }
        let unit = values["unit"].flatMap { reader.text($0, field: "unit") }
        if values["unit"] == nil { reader.report("unit", at: body, "missing (CloudKitty requires a unit)") }
        let factor = values["factor"].map { reader.decimal($0, field: "factor", allowFraction: true) } ?? .one
        let offset = values["offset"].map { reader.decimal($0, field: "offset", allowFraction: true) } ?? .zero
        let mutation = parseMutation(values["mutate"], map: values["mutate_map"], body: body)
        let groupby = values["groupby"].map { parseFields($0, field: "groupby") } ?? []
        let metadata = values["metadata"].map { parseFields($0, field: "metadata") } ?? []
        checkOverlap(groupby: groupby, metadata: metadata, at: values["metadata"])

        var aggregation = defaults.aggregation
        if let extra = values["extra_args"], let pairs = reader.mapping(extra, field: "extra_args") {
            // Other extra_args (resource_type, query_function…) steer CloudKitty's collectors
            // and mean nothing to a stream of samples, so they are accepted and ignored.
            for (key, _, value) in pairs where key == "aggregation_method" {
                aggregation = reader.aggregation(value, field: "extra_args.aggregation_method") ?? aggregation
            }
        }
        if let node = values["aggregation"] { aggregation = reader.aggregation(node, field: "aggregation") ?? aggregation }
        let period = values["period"].map { reader.period($0, field: "period", zone: defaults.zone) } ?? defaults.period
        let grace = values["grace"].map { reader.span($0, field: "grace") } ?? defaults.grace
        let retention = values["retention"].map { reader.span($0, field: "retention") } ?? defaults.retention
        let scope = values["scope"].map { reader.scope($0, field: "scope") } ?? defaults.scope
        var price: ExactDecimal?
        if let node = values["price_per_unit"] {
            price = reader.decimal(node, field: "price_per_unit")
            if let p = price, p.isNegative { reader.report("price_per_unit", at: node, "must not be negative") }
        }
        let routeKey = values["route_key"].map { parseRouteKey($0, scope: scope) } ?? .resource
        let altName = values["alt_name"].flatMap { reader.text($0, field: "alt_name") }
        let description = values["description"].flatMap { reader.text($0, field: "description") }

        guard reader.problems.count == problemsBefore, let unit, let factor, let offset, let mutation,
              let period, let grace, let retention, let scope, let routeKey else { return nil }
        return MetricDefinition(key: name, altName: altName, unit: unit, description: description,
                                factor: factor, offset: offset, mutation: mutation, groupby: groupby,
                                metadata: metadata, aggregation: aggregation, period: period, grace: grace,
                                retention: retention, scope: scope, pricePerUnit: price, routeKey: routeKey)
    }

    /// `route_key`: resource, or the metric's scope (`project` for `scope: project_id`,
    /// `user` for `scope: user_id`), whose cumulative tiers must reach one rater.
    private func parseRouteKey(_ node: Node, scope: RatingScope?) -> RouteKey? {
        guard let text = reader.text(node, field: "route_key") else { return nil }
        guard let key = RouteKey(rawValue: text) else {
            reader.report("route_key", at: node, "unknown route_key '\(text)'; expected resource, project or user")
            return nil
        }
        switch (key, scope) {
        case (.project, .userId?):
            reader.report("route_key", at: node, "route_key project, but the metric is rated per user_id (scope): its tiers are counted per user, so key it by user")
            return nil
        case (.user, .projectId?):
            reader.report("route_key", at: node, "route_key user, but the metric is rated per project_id (scope): its tiers are counted per project, so key it by project")
            return nil
        default:
            return key
        }
    }

    private func parseMutation(_ node: Node?, map: Node?, body: Node) -> Mutation? {
        var name = "NONE"
        if let node {
            guard let text = reader.text(node, field: "mutate") else { return nil }
            guard Mutation.configNames.contains(text) else {
                reader.report("mutate", at: node, "unknown mutate '\(text)'; expected one of "
                              + Mutation.configNames.joined(separator: ", "))
                return nil
            }
            name = text
        }
        if name != "MAP" {
            if let map { reader.report("mutate_map", at: map, "given but mutate is \(name), not MAP"); return nil }
            switch name {
            case "NUMBOOL": return .numbool
            case "NOTNUMBOOL": return .notnumbool
            case "FLOOR": return .floor
            case "CEIL": return .ceil
            default: return Mutation.none
            }
        }
        guard let map else { reader.report("mutate_map", at: node ?? body, "missing; mutate MAP needs a mutate_map"); return nil }
        guard let pairs = reader.mapping(map, field: "mutate_map") else { return nil }
        var entries: [MutationMapEntry] = []
        for (key, keyNode, value) in pairs {
            let field = "mutate_map.\(key)"
            guard let k = reader.decimal(keyNode, field: field), let v = reader.decimal(value, field: field) else { continue }
            if entries.contains(where: { $0.key == k }) { reader.report(field, at: keyNode, "the same number is mapped twice") }
            entries.append(MutationMapEntry(key: k, value: v))
        }
        return .map(entries)
    }
}
