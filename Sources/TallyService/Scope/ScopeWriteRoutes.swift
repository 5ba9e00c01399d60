import Hummingbird
import TallyCore
import TallyIndex
import TallyRuntime

/// CloudKitty's scope writes (admin, as its policy), with its status codes, shapes and
/// error texts, and what each can honestly mean in Tally (docs/API.md, "Scopes"):
/// - `PUT /v2/scope` resets scopes' state to a date so that CloudKitty rates again from
///   there with the rules as they are now. Tally's equivalent is a reprocessing (a replay)
///   of `[last_processed_timestamp, now)` per scope, published as correction commands for
///   the rater, listed by `GET /v2/task/reprocesses`: 202 `{}`. The rated frames stay
///   where they are (a scope's state is the end of its latest window, which follows the
///   samples), so `GET /v2/scope` still shows it.
/// - `PATCH /v2/scope` changes a scope's key, fetcher, collector or active flag. Tally rates
///   every scope its input carries and has no fetcher or collector: setting the values it
///   has answers the scope (200); anything else is a 409 saying why, nothing is stored.
/// - `POST /v2/scope` registers a scope for CloudKitty to process. Tally learns its scopes
///   from the samples: an existing scope is CloudKitty's 404, a new one a 409 saying so.
enum ScopeWriteRoutes {
    static let resetKeys: Set<String> = ["all_scopes", "scope_id", "scope_key", "fetcher", "collector", "last_processed_timestamp"]
    static let patchKeys: Set<String> = ["scope_id", "scope_key", "fetcher", "collector", "active"]

    static func register(on router: Router<TallyRequestContext>, service: ServiceContext, reprocessing: ReprocessRunner) {
        router.put("/v2/scope") { request, context -> Response in
            let author = try context.admin().name
            let body = try await JSONBody.read(request)
            try refuseExtraKeys(body, allowed: resetKeys)
            let all = try body.bool("all_scopes") ?? false
            let ids = try list(body, "scope_id")
            if all && !ids.isEmpty { throw APIError.badRequest("two or more values in the same group of exclusion 'scope_selector'") }
            guard all || !ids.isEmpty else { throw APIError.badRequest("Either all_scopes or a scope_id should be specified.") }
            guard let text = try body.string("last_processed_timestamp"), !text.isEmpty else {
                throw APIError.badRequest("Variable 'last_processed_timestamp' cannot be empty/None.")
            }
            let from = try APIDate.parse(text, member: "last_processed_timestamp")
            let keys = try list(body, "scope_key"), fetchers = try list(body, "fetcher"), collectors = try list(body, "collector")
            let selected = try service.requireIndex().scopeStates().filter { state in
                (ids.isEmpty || ids.contains(state.scope)) && (keys.isEmpty || keys.contains(state.kind))
                    && (fetchers.isEmpty || fetchers.contains("tally")) && (collectors.isEmpty || collectors.contains("tally"))
            }
            guard !selected.isEmpty else { throw APIError.notFound("No resource found for provided filters.") }
            let now = WallClock.now()
            guard from < now else {
                throw APIError.badRequest("last_processed_timestamp \(Timestamps.iso8601(from)) is not in the past: nothing to rate again")
            }
            _ = try await reprocessing.run(scopes: selected.map(\.scope), start: from, end: now,
                                           reason: "scope state reset to \(Timestamps.iso8601(from)) through the API",
                                           author: author, dryRun: false)
            return Response.json("{}", status: .accepted)
        }

        router.patch("/v2/scope") { request, context -> Response in
            _ = try context.admin()
            let body = try await JSONBody.read(request)
            try refuseExtraKeys(body, allowed: patchKeys)
            let state = try existing(try body.required("scope_id"), service)
            var refused: [String] = []
            if let key = try body.string("scope_key"), key != state.kind {
                refused.append("its scope_key is '\(state.kind)', the kind of scope its frames carry")
            }
            for member in ["fetcher", "collector"] {
                if let value = try body.string(member), value != "tally" {
                    refused.append("Tally has no \(member) (its input is Kafka topics): '\(member)' stays 'tally'")
                }
            }
            if try body.bool("active") == false {
                refused.append("Tally rates every scope its input carries and cannot deactivate one")
            }
            guard refused.isEmpty else {
                throw APIError(.conflict, "Scope \(state.scope) was not changed: " + refused.joined(separator: "; ") + ".")
            }
            return Response.json(ScopeRoutes.json(state).text)
        }

        router.post("/v2/scope") { request, context -> Response in
            _ = try context.admin()
            let body = try await JSONBody.read(request)
            try refuseExtraKeys(body, allowed: patchKeys)
            let id = try body.required("scope_id")
            if try service.requireIndex().scopeStates().contains(where: { $0.scope == id }) {
                throw APIError.notFound("Cannot create a scope with an already existing scope_id: \(id).")
            }
            throw APIError(.conflict, "Scope \(id) was not created: Tally learns its scopes from the samples it rates; "
                           + "\(id) appears in GET /v2/scope once its first window is rated.")
        }
    }

    static func existing(_ id: String, _ service: ServiceContext) throws -> FrameIndex.ScopeState {
        let states = try service.requireIndex().scopeStates().filter { $0.scope == id }
        guard let state = states.first else { throw APIError.notFound("No resource found for provided filters.") }
        return state
    }

    /// CloudKitty's schemas refuse members they do not name (the client's `scope state
    /// reset` still sends `state`, which CloudKitty refuses since 19.0.0).
    static func refuseExtraKeys(_ body: JSONBody, allowed: Set<String>) throws {
        if let extra = body.members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("extra keys not allowed @ data['\(extra)']")
        }
    }

    /// A member given as one string or a list of strings.
    static func list(_ body: JSONBody, _ key: String) throws -> [String] {
        if body.isNull(key) { return [] }
        if let list = body.members[key] as? [String] { return list }
        return [try body.required(key)]
    }
}
