import Hummingbird
import TallyCore

/// CloudKitty's `/v1/info`: the metrics Tally rates (from the metrics configuration), unprotected
/// as in CloudKitty. `metadata` lists the fields a metric's frames carry (groupby, then metadata).
enum InfoRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/v1/info/metrics") { _, _ -> Response in
            Response.json(JSONValue.object([("metrics", .array(service.metrics.metrics.map(Self.metric)))]).text)
        }
        router.get("/v1/info/metrics/{name}") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard let metric = service.metrics.metrics.first(where: { $0.key == name }) else {
                throw HTTPError(.notFound, message: "Metric \(name) not found.")
            }
            return Response.json(Self.metric(metric).text)
        }
        router.get("/v1/info/config") { _, _ -> Response in
            let metrics: [(String, JSONValue)] = service.metrics.metrics.map { metric in
                var members: [(String, JSONValue)] = [("unit", .string(metric.unit)),
                                                      ("groupby", .array(metric.groupby.map { .string($0.name) })),
                                                      ("metadata", .array(metric.metadata.map { .string($0.name) }))]
                if let alt = metric.altName { members.append(("alt_name", .string(alt))) }
                members.append(("factor", .string(metric.factor.canonicalText)))
                members.append(("offset", .string(metric.offset.canonicalText)))
                return (metric.key, .object(members))
            }
            return Response.json(JSONValue.object([("metrics", .object(metrics))]).text)
        }
    }

    static func metric(_ metric: MetricDefinition) -> JSONValue {
        .object([("metric_id", .string(metric.key)), ("unit", .string(metric.unit)),
                 ("metadata", .array((metric.groupby + metric.metadata).map { .string($0.name) }))])
    }
}
