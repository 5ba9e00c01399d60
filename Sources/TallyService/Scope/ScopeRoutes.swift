import Hummingbird
import TallyCore
import TallyIndex

/// `GET /v2/scope` (admin, as CloudKitty's policy): the state of each scope with frames, its
/// last processed time being the end of its latest window rated and emitted. Tally has no
/// collector or fetcher; both are reported as `tally`, and every scope is active (it rates
/// every scope its input carries). The writes are in ScopeWriteRoutes.swift.
enum ScopeRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/v2/scope") { request, context -> Response in
            _ = try context.admin()
            let offset = try request.integerParameter("offset", default: 0)
            let limit = try request.integerParameter("limit", default: 100, minimum: 1)
            let ids = Set(request.listParameter("scope_id"))
            let keys = Set(request.listParameter("scope_key"))
            let fetchers = Set(request.listParameter("fetcher")), collectors = Set(request.listParameter("collector"))
            let states = try service.requireIndex().scopeStates().filter { state in
                (ids.isEmpty || ids.contains(state.scope)) && (keys.isEmpty || keys.contains(state.kind))
                    && (fetchers.isEmpty || fetchers.contains("tally")) && (collectors.isEmpty || collectors.contains("tally"))
            }
            if let active = request.uri.queryParameters.get("active"), active.lowercased() == "false" || active == "0" {
                return Response.json(JSONValue.object([("results", .array([]))]).text)
            }
            guard !states.isEmpty else { throw HTTPError(.notFound, message: "No resource found for provided filters.") }
            let results: [JSONValue] = states.dropFirst(offset).prefix(limit).map(Self.json)
            return Response.json(JSONValue.object([("results", .array(results))]).text)
        }
    }

    /// A scope as CloudKitty shows it (plus `state`, the pre-17.0.0 name of the timestamp).
    static func json(_ state: FrameIndex.ScopeState) -> JSONValue {
        let processed = JSONValue.string(Timestamps.iso8601(state.lastProcessed))
        return .object([("scope_id", .string(state.scope)), ("scope_key", .string(state.kind)),
                        ("fetcher", .string("tally")), ("collector", .string("tally")),
                        ("state", processed), ("last_processed_timestamp", processed),
                        ("active", .bool(true)), ("scope_activation_toggle_date", .null)])
    }
}
