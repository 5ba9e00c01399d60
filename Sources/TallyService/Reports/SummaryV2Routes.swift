import Hummingbird
import TallyCore

/// `GET /v2/summary`: CloudKitty's rating summary. Query: `begin`, `end` (default: this
/// month), `groupby` (`type`, `time`, `time-d|w|m|y`, or any groupby/metadata key of the
/// frames), `filters` (`k:v`), `offset`, `limit`, `response_format` (`table` | `object`).
/// Quantities and prices are exact JSON numbers; a reader only ever sums their own projects.
enum SummaryV2Routes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/v2/summary") { request, context -> Response in
            let principal = try context.caller()
            let index = try service.requireIndex()
            let period = try QueryPeriod(request)
            let offset = try request.integerParameter("offset", default: 0)
            let limit = try request.integerParameter("limit", default: 100, minimum: 1)
            let format = request.uri.queryParameters.get("response_format").map { String($0) } ?? "table"
            guard format == "table" || format == "object" else {
                throw HTTPError(.badRequest, message: "Invalid response_format '\(format)': expected table or object.")
            }
            var filters = try request.filtersParameter()
            let asked = Self.askedScopes(&filters)
            let summary = try RatedSummary.compute(index: index, scopes: VisibleScopes.of(principal, asked: asked), begin: period.begin,
                                                   end: period.end, groupby: request.listParameter("groupby"), filters: filters)
            let page = summary.rows.dropFirst(offset).prefix(limit)
            let columns = ["begin", "end", "qty", "rate"] + summary.groupKeys
            func cells(_ row: RatedSummary.Row) -> [JSONValue] {
                [.string(Timestamps.iso8601(row.begin)), .string(Timestamps.iso8601(row.end)), .decimal(row.qty), .decimal(row.rate)]
                    + row.groups.map { $0.map(JSONValue.string) ?? .null }
            }
            let body: JSONValue
            if format == "table" {
                body = .object([("total", .integer(summary.rows.count)), ("columns", .array(columns.map(JSONValue.string))),
                                ("results", .array(page.map { .array(cells($0)) }))])
            } else {
                body = .object([("total", .integer(summary.rows.count)),
                                ("results", .array(page.map { .object(Array(zip(columns, cells($0)))) })),
                                ("format", .string("object"))])
            }
            return Response.json(body.text)
        }
    }

    /// A `project_id` filter names scopes: it narrows the index read (and, for a reader, is
    /// intersected with their projects) instead of being matched frame by frame.
    static func askedScopes(_ filters: inout [String: Set<String>]) -> Set<String>? {
        var asked: Set<String>?
        for key in ["project_id", "tenant_id"] {
            if let values = filters.removeValue(forKey: key) { asked = asked.map { $0.intersection(values) } ?? values }
        }
        return asked
    }
}
