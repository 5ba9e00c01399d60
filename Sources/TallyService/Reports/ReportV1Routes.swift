import Hummingbird
import TallyCore
import TallyIndex

/// CloudKitty v1 reports: `/v1/report/tenants` (admin), `/v1/report/total` and
/// `/v1/report/summary`. Decimals are JSON strings as CloudKitty's WSME writes them; the
/// summary's `rate` has at least five decimals (CloudKitty's `%.5f`) but is never rounded.
enum ReportV1Routes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/v1/report/tenants") { request, context -> Response in
            _ = try context.admin()
            let period = try QueryPeriod(request)
            let frames = try service.requireIndex().summaries(scopes: nil, from: period.begin, to: period.end)
            let tenants = Set(frames.map(\.scope)).sorted()
            return Response.json(JSONValue.array(tenants.map(JSONValue.string)).text)
        }
        router.get("/v1/report/total") { request, context -> Response in
            let asked = try Self.scopes(request, context)
            let total = try RatedSummary.compute(index: service.requireIndex(), scopes: asked.scopes, begin: asked.period.begin,
                                                 end: asked.period.end, groupby: [], filters: asked.filters)
            return Response.json(JSONValue.string(total.rows.first?.rate.canonicalText ?? "0").text)
        }
        router.get("/v1/report/summary") { request, context -> Response in
            let asked = try Self.scopes(request, context)
            let groupby = request.listParameter("groupby")
            for key in groupby where key != "tenant_id" && key != "res_type" {
                throw HTTPError(.badRequest, message: "Invalid groupby '\(key)': v1 groups by tenant_id and res_type only.")
            }
            let summary = try RatedSummary.compute(index: service.requireIndex(), scopes: asked.scopes, begin: asked.period.begin,
                                                   end: asked.period.end, groupby: groupby, filters: asked.filters)
            let rows: [JSONValue] = summary.rows.map { row in
                func group(_ key: String) -> JSONValue {
                    guard let i = summary.groupKeys.firstIndex(of: key) else { return .string("ALL") }
                    return .string(row.groups[i] ?? "")
                }
                return .object([("begin", .string(V1Time.text(row.begin))), ("end", .string(V1Time.text(row.end))),
                                ("tenant_id", group("tenant_id")), ("res_type", group("res_type")),
                                ("rate", .string(Self.fiveDecimals(row.rate.canonicalText)))])
            }
            return Response.json(JSONValue.object([("summary", .array(rows))]).text)
        }
    }

    /// What a v1 report covers: the period, `tenant_id` (a reader naming another
    /// project is refused, as CloudKitty's policy does; a reader naming none gets their own),
    /// `service` (the metric) and `all_tenants` (admins: every tenant).
    static func scopes(_ request: Request, _ context: TallyRequestContext) throws
        -> (period: QueryPeriod, scopes: Set<String>?, filters: [String: Set<String>]) {
        let principal = try context.caller()
        let period = try QueryPeriod(request)
        let tenant = request.uri.queryParameters.get("tenant_id").map { String($0) }
        if let tenant, !principal.maySee(project: tenant) {
            throw HTTPError(.forbidden, message: "Access was denied to this resource.")
        }
        let asked: Set<String>? = request.boolParameter("all_tenants") ? nil : tenant.map { [$0] }
        var filters: [String: Set<String>] = [:]
        if let metric = request.uri.queryParameters.get("service") { filters["type"] = [String(metric)] }
        return (period, VisibleScopes.of(principal, asked: asked), filters)
    }

    /// Pads to five decimals (`%.5f` for the usual prices) without ever dropping a digit.
    static func fiveDecimals(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else { return text + ".00000" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 5 ? text : text + String(repeating: "0", count: 5 - decimals)
    }
}
