import Hummingbird
import TallyCore
import TallyIndex

/// Rated data frame by frame: CloudKitty's `/v1/storage/dataframes` (per window and tenant,
/// decimals as strings) and `GET /v2/dataframes` (per window, by metric, exact numbers,
/// paged by point). Readers see only their projects.
enum DataframesRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/v1/storage/dataframes") { request, context -> Response in
            let principal = try context.caller()
            let period = try QueryPeriod(request)
            let tenant = request.uri.queryParameters.get("tenant_id").map { String($0) }
            if let tenant, !principal.maySee(project: tenant) {
                throw HTTPError(.forbidden, message: "Access was denied to this resource.")
            }
            var frames = try service.requireIndex().summaries(scopes: VisibleScopes.of(principal, asked: tenant.map { [$0] }),
                                                           from: period.begin, to: period.end)
            if let type = request.uri.queryParameters.get("resource_type") { frames = frames.filter { $0.metric == type } }
            var order: [String] = []
            var groups: [String: (frame: FrameSummary, resources: [JSONValue])] = [:]
            for frame in Self.ordered(frames) {
                let key = "\(frame.windowStart.micros)/\(frame.windowEnd.micros)/\(frame.scope)"
                if groups[key] == nil { order.append(key); groups[key] = (frame, []) }
                groups[key]!.resources.append(.object([
                    ("service", .string(frame.metric)), ("desc", .strings(Self.description(frame))),
                    ("volume", .string(frame.quantity.canonicalText)), ("rating", .string(frame.price.canonicalText)),
                ]))
            }
            let dataframes: [JSONValue] = order.map { key in
                let group = groups[key]!
                return .object([("begin", .string(V1Time.text(group.frame.windowStart))),
                                ("end", .string(V1Time.text(group.frame.windowEnd))),
                                ("tenant_id", .string(group.frame.scope)), ("resources", .array(group.resources))])
            }
            return Response.json(JSONValue.object([("dataframes", .array(dataframes))]).text)
        }
        router.get("/v2/dataframes") { request, context -> Response in
            let principal = try context.caller()
            let period = try QueryPeriod(request)
            let offset = try request.integerParameter("offset", default: 0)
            let limit = try request.integerParameter("limit", default: 100, minimum: 1)
            var filters = try request.filtersParameter()
            let asked = SummaryV2Routes.askedScopes(&filters)
            let frames = try service.requireIndex().summaries(scopes: VisibleScopes.of(principal, asked: asked),
                                                           from: period.begin, to: period.end)
            let matching = Self.ordered(frames.filter { RatedSummary.matches($0, filters) })
            // CloudKitty answers an empty selection with 404 (cloudkitty-api.md).
            guard !matching.isEmpty else { throw HTTPError(.notFound, message: "No resource found for provided filters.") }
            let page = matching.dropFirst(offset).prefix(limit)
            var order: [String] = []
            var periods: [String: (frame: FrameSummary, usage: [(String, [JSONValue])])] = [:]
            for frame in page {
                let key = "\(frame.windowStart.micros)/\(frame.windowEnd.micros)"
                if periods[key] == nil { order.append(key); periods[key] = (frame, []) }
                let point: JSONValue = .object([
                    ("vol", .object([("unit", .string(frame.unit)), ("qty", .decimal(frame.quantity))])),
                    ("rating", .object([("price", .decimal(frame.price))])),
                    ("groupby", .strings(Self.groupby(frame))), ("metadata", .strings(frame.metadata)),
                ])
                if let i = periods[key]!.usage.firstIndex(where: { $0.0 == frame.metric }) {
                    periods[key]!.usage[i].1.append(point)
                } else {
                    periods[key]!.usage.append((frame.metric, [point]))
                }
            }
            let dataframes: [JSONValue] = order.map { key in
                let p = periods[key]!
                return .object([("period", .object([("begin", .string(Timestamps.iso8601(p.frame.windowStart))),
                                                    ("end", .string(Timestamps.iso8601(p.frame.windowEnd)))])),
                                ("usage", .object(p.usage.map { ($0.0, .array($0.1)) }))])
            }
            return Response.json(JSONValue.object([("total", .integer(matching.count)), ("dataframes", .array(dataframes))]).text)
        }
    }

    /// Window start, then scope, metric and frame id: a stable order for pages.
    static func ordered<Frame: RatedFrameFields>(_ frames: [Frame]) -> [Frame] {
        frames.sorted { ($0.windowStart.micros, $0.scope, $0.metric, $0.frameId) < ($1.windowStart.micros, $1.scope, $1.metric, $1.frameId) }
    }

    /// CloudKitty's v2 `groupby` of a point: the frame's groupby plus the scope and resource ids.
    static func groupby(_ frame: some RatedFrameFields) -> [String: String] {
        var out = frame.groupby
        out[frame.scopeKind.isEmpty ? "project_id" : frame.scopeKind] = frame.scope
        if !frame.resource.isEmpty { out["id"] = frame.resource }
        if !frame.user.isEmpty, out["user_id"] == nil { out["user_id"] = frame.user }
        return out
    }

    /// CloudKitty's v1 `desc`: groupby and metadata in one object.
    static func description(_ frame: some RatedFrameFields) -> [String: String] {
        groupby(frame).merging(frame.metadata) { first, _ in first }
    }
}
