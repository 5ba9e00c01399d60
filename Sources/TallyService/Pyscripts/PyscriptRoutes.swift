import Hummingbird
import TallyCore
import TallyRuntime

/// CloudKitty's pyscripts API, `/v1/rating/module_config/pyscripts/scripts[/{id}]`
/// (docs/API.md, "Pyscripts"). Every write is one rule-log event on a `script` rule named
/// after the script, authored by the caller (an admin), with CloudKitty 23's date rules and
/// their error texts. The data is stored as given, like CloudKitty stores it: Tally's script
/// module runs it as Lua 5.4 (docs/SCRIPTS.md), and a window it applies to whose script does
/// not compile or defines no `rate` is marked `rating-failed`, with the reason.
enum PyscriptRoutes {
    static func register(on router: Router<TallyRequestContext>, rules: RuleLogView) {
        for prefix in ["/v1/rating", "/v1/billing"] {
            let group = router.group(RouterPath("\(prefix)/module_config/pyscripts"))
            group.get("scripts") { request, context -> Response in
                _ = try context.admin()
                let catalog = try await catalog(rules)
                let withData = !(try request.queryFlag("no_data") ?? false)
                let listed = try filtered(catalog, request: request).map { catalog.json($0, withData: withData) }
                return Response.json(CanonicalJSON.list("scripts", listed).text)
            }
            group.get("scripts/:id") { _, context -> Response in
                _ = try context.admin()
                let catalog = try await catalog(rules)
                return Response.json(catalog.json(try existing(catalog, context.parameters.require("id"))).text)
            }
            group.post("scripts") { request, context -> Response in
                let body = try await JSONBody.read(request)
                let force = try request.queryFlag("force") ?? false
                let name = try body.required("name")
                let data = try body.required("data")
                let description = try body.string("description").flatMap { $0.isEmpty ? nil : $0 }
                let catalog = try await write(rules, context, reason: description ?? PyscriptCatalog.createdWithoutDescription,
                                              force: force) { _, now in
                    let start = try body.string("start").map { try APIDate.parse($0, member: "start") } ?? now
                    let end = try body.string("end").map { try APIDate.parse($0, member: "end", isEnd: true) }
                    if !force && start < now {
                        throw APIError.badRequest("Cannot create a rule with start in the past. start=[\(CloudKittyDateRules.python(start))] "
                                                  + "current time=[\(CloudKittyDateRules.python(now))].")
                    }
                    if let end, end <= start { throw CloudKittyDateRules.endBeforeStart(start: start, end: end) }
                    return [PlannedRuleChange(change: .create(.script(ScriptRule(id: name, source: data))), start: start, end: end)]
                }
                guard let created = catalog.scripts.last(where: { $0.name == name }) else {
                    throw APIError(.internalServerError, "script not folded")
                }
                return created201(catalog.json(created), request: request, id: created.apiID)
            }
            // tempest and CloudKitty's WSME routes send the id in the path or in the body.
            for route in ["scripts/:id", "scripts"] {
                group.put(RouterPath(route)) { request, context -> Response in
                    let body = try await JSONBody.read(request)
                    let id = try context.parameters.get("id") ?? body.required("script_id")
                    let description = try body.string("description").flatMap { $0.isEmpty ? nil : $0 }
                    do {
                        _ = try await write(rules, context, reason: description ?? PyscriptCatalog.updatedWithoutDescription) { catalog, now in
                            let script = try existing(catalog, id)
                            guard !script.deleted else { throw APIError.notFound("No such script: \(id)") }
                            return try update(script, body: body, description: description, now: now)
                        }
                    } catch is RatingRoutes.NothingToChange {}
                    let catalog = try await catalog(rules)
                    return created201(catalog.json(try existing(catalog, id)), request: request, id: id)
                }
                group.delete(RouterPath(route)) { request, context -> Response in
                    let body = try await JSONBody.read(request)
                    let id = try context.parameters.get("id") ?? body.required("script_id")
                    _ = try await write(rules, context, reason: PyscriptCatalog.deletedThroughTheAPI) { catalog, now in
                        let script = try existing(catalog, id)
                        guard !script.deleted else { throw APIError.notFound("No such script: \(id)") }
                        return [PlannedRuleChange(change: .delete(.rule(.script, script.name)), start: now)]
                    }
                    return Response(status: .noContent)
                }
            }
        }
    }

    static func catalog(_ rules: RuleLogView) async throws -> PyscriptCatalog {
        PyscriptCatalog(state: try await rules.state(), now: WallClock.now())
    }

    /// Publishes what `plan` makes of the fresh catalog as one event authored by the caller
    /// (`AuditedRules.write`).
    static func write(_ rules: RuleLogView, _ context: TallyRequestContext, reason: String, force: Bool = false,
                      plan: @escaping @Sendable (PyscriptCatalog, EventTime) throws -> [PlannedRuleChange]) async throws -> PyscriptCatalog {
        let state = try await AuditedRules.write(rules, context, reason: reason, force: force) { state, now in
            try plan(PyscriptCatalog(state: state, now: now), now)
        }
        return PyscriptCatalog(state: state, now: WallClock.now())
    }

    static func existing(_ catalog: PyscriptCatalog, _ id: String) throws -> PyscriptCatalog.Script {
        guard let script = catalog.script(apiID: id) else { throw APIError.notFound("No such script: \(id)") }
        return script
    }

    /// CloudKitty 23's update: a script that has not started takes new data, dates and
    /// description (its name stays); a started one only a future end, if it had none.
    static func update(_ script: PyscriptCatalog.Script, body: JSONBody, description: String?,
                       now: EventTime) throws -> [PlannedRuleChange] {
        let data = try body.string("data").flatMap { $0.isEmpty ? nil : $0 }
        let start = try body.string("start").flatMap { $0.isEmpty ? nil : try APIDate.parse($0, member: "start") }
        let end = try body.string("end").flatMap { $0.isEmpty ? nil : try APIDate.parse($0, member: "end", isEnd: true) }
        if script.validity.start > now {
            let newStart = start ?? script.validity.start, newEnd = end ?? script.validity.end
            let newSource = data ?? script.source
            if let newEnd, newEnd <= newStart { throw CloudKittyDateRules.endBeforeStart(start: newStart, end: newEnd) }
            guard newSource != script.source || newStart != script.validity.start || newEnd != script.validity.end
                    || (description != nil && description != script.description) else { throw RatingRoutes.NothingToChange() }
            return [PlannedRuleChange(change: .update(.script(ScriptRule(id: script.name, source: newSource))),
                                      start: newStart, end: newEnd)]
        }
        let name = try body.string("name").flatMap { $0.isEmpty ? nil : $0 }
        let changed = (data.map { $0 != script.source } ?? false) || (start.map { $0 != script.validity.start } ?? false)
            || (description.map { $0 != script.description } ?? false) || (name.map { $0 != script.name } ?? false)
        guard let newEnd = try CloudKittyDateRules.endOfStartedRule(start: script.validity.start, currentEnd: script.validity.end,
                                                                    newEnd: end, changed: changed, now: now) else {
            throw RatingRoutes.NothingToChange()
        }
        return [PlannedRuleChange(change: .end(.rule(.script, script.name)), start: newEnd)]
    }

    /// Listing filters: CloudKitty 23's audit filters (`AuditedRule`) and the name.
    static func filtered(_ catalog: PyscriptCatalog, request: Request) throws -> [PyscriptCatalog.Script] {
        var scripts = try catalog.scripts.auditFiltered(by: request, now: catalog.now)
        if let name = request.query("name") { scripts = scripts.filter { $0.name == name } }
        return scripts
    }

    /// CloudKitty answers a create or an update with 201, the script and its Location.
    static func created201(_ json: CanonicalJSON, request: Request, id: String) -> Response {
        var response = Response.json(json.text, status: .created)
        response.headers[.location] = request.absolute("/v1/rating/module_config/pyscripts/scripts/\(id)")
        return response
    }
}
