import Hummingbird
import TallyCore
import TallyRuntime

/// `/v1/rating/{modules,reload_modules,quote}` and `/v2/rating/modules`. Module settings
/// are rule-log events too (`enable`, `disable`, `priority`, from now on): disabling a
/// module means windows that start from that instant are priced without it; frames
/// already emitted, and windows that started before, keep the setting they had.
enum RatingRoutes {
    static let descriptions: [RatingModuleKind: String] = [
        .hashmap: "HashMap rating module.",
        .tiers: "Cumulative tiers over a billing cycle (Tally).",
        .script: "PyScripts rating module: Tally runs the scripts as sandboxed Lua 5.4 (docs/SCRIPTS.md).",
        .noop: "Dummy test module.",
    ]

    static func register(on router: Router<TallyRequestContext>, rules: RuleLogView) {
        for version in ["v1", "v2"] {
            router.get("/\(version)/rating/modules") { _, context -> Response in
                _ = try version == "v1" ? context.admin() : context.caller()
                let settings = try await rules.state().moduleSettings(at: WallClock.now())
                let modules = RatingModuleKind.allCases.map { json($0, settings, hyphen: version == "v1") }
                return Response.json(CanonicalJSON.list("modules", modules).text)
            }
            router.get("/\(version)/rating/modules/:id") { _, context -> Response in
                _ = try version == "v1" ? context.admin() : context.caller()
                let module = try module(context.parameters.require("id"))
                let settings = try await rules.state().moduleSettings(at: WallClock.now())
                return Response.json(json(module, settings, hyphen: version == "v1").text)
            }
            router.put("/\(version)/rating/modules/:id") { request, context -> Response in
                let author = try context.admin().name
                let module = try module(context.parameters.require("id"))
                let body = try await JSONBody.read(request)
                let enabled = try body.bool("enabled"), priority = try body.integer("priority")
                if let priority, priority < (version == "v2" ? 1 : 0) { throw APIError.badRequest("`priority` must be at least \(version == "v2" ? 1 : 0)") }
                do {
                    _ = try await rules.write(author: author, reason: "module \(module.rawValue) changed through the API", force: false) { state, now in
                        let current = state.moduleSettings(at: now)[module] ?? .defaultSetting(for: module)
                        var changes: [PlannedRuleChange] = []
                        if let enabled, enabled != current.enabled {
                            changes.append(PlannedRuleChange(change: enabled ? .enableModule(module) : .disableModule(module), start: now))
                        }
                        if let priority, priority != current.priority {
                            changes.append(PlannedRuleChange(change: .setModulePriority(module, priority), start: now))
                        }
                        guard !changes.isEmpty else { throw NothingToChange() }
                        return changes
                    }
                } catch is NothingToChange {
                } catch let rejection as RuleEventRejection { throw APIError.from(rejection) }
                if version == "v2" { return Response(status: .noContent) }
                var response = Response(status: .found)
                response.headers[.location] = request.absolute("/v1/rating/modules/\(apiID(module))")
                return response
            }
        }
        router.get("/v1/rating/reload_modules") { _, context -> Response in
            _ = try context.admin()
            _ = try await rules.snapshot()  // the follower keeps the rules current: a reload only checks the log is readable
            return Response(status: .noContent)
        }
        router.post("/v1/rating/quote") { request, context -> Response in
            let caller = try context.caller()
            let body = try await JSONBody.read(request)
            let snapshot = try await rules.snapshot()
            let price = try QuoteRequest.price(body, caller: caller, rules: snapshot, at: WallClock.now())
            return Response.json(price.canonicalText)
        }
    }

    struct NothingToChange: Error {}

    /// CloudKitty's module ids: the script module is CloudKitty's `pyscripts` (its scripts are
    /// managed under `/v1/rating/module_config/pyscripts`); Tally's own name `script` is
    /// accepted as well.
    static func apiID(_ module: RatingModuleKind) -> String { module == .script ? "pyscripts" : module.rawValue }

    static func module(_ id: String) throws -> RatingModuleKind {
        if id == "pyscripts" { return .script }
        guard let module = RatingModuleKind(rawValue: id) else { throw APIError.notFound("Module not found.") }
        return module
    }

    static func json(_ module: RatingModuleKind, _ settings: [RatingModuleKind: ModuleSetting], hyphen: Bool) -> CanonicalJSON {
        let setting = settings[module] ?? .defaultSetting(for: module)
        return .object([
            "module_id": .string(apiID(module)), "description": .string(descriptions[module] ?? ""),
            "enabled": .bool(setting.enabled), hyphen ? "hot-config" : "hot_config": .bool(module == .hashmap),
            "priority": .integer(Int64(setting.priority)),
        ])
    }
}
