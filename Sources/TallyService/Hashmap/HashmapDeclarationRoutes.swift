import Hummingbird
import TallyCore

/// `/v1/rating/module_config/hashmap/{types,services,fields,groups}`: declarations. A
/// service, field or group is a rule-log declaration named by its name; its API id is
/// derived from the event that created it (`DerivedID`). Deletes cascade as CloudKitty's.
enum HashmapDeclarationRoutes {
    static func register(on group: RouterGroup<TallyRequestContext>, api: HashmapAPI) {
        group.get("types") { _, context -> Response in
            _ = try context.admin()
            return Response.json(CanonicalJSON.array(CostType.allCases.map { .string($0.rawValue) }).text)
        }

        // Services.
        group.get("services") { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(CanonicalJSON.list("services", catalog.liveServices.map { catalog.json(service: $0) }).text)
        }
        group.get("services/:id") { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(catalog.json(service: try liveService(catalog, context.parameters.require("id"))).text)
        }
        group.post("services") { request, context -> Response in
            let name = try await JSONBody.read(request).required("name")
            let catalog = try await api.write(context, reason: "hashmap service \(name) created through the API", force: true) { catalog, now in
                [PlannedRuleChange(change: .create(.service(ServiceDeclaration(name: name))),
                                   start: HashmapAPI.declarationStart(catalog, .service(name), now: now))]
            }
            guard let created = catalog.liveServices.last(where: { $0.name == name }) else { throw APIError(.internalServerError, "service not folded") }
            return HashmapAPI.created(catalog.json(service: created), location: request.absolute("/v1/rating/module_config/hashmap/services/\(created.id)"))
        }
        group.delete("services/:id") { request, context -> Response in try await deleteService(request, context, api) }
        group.delete("services") { request, context -> Response in try await deleteService(request, context, api) }
        @Sendable func deleteService(_ request: Request, _ context: TallyRequestContext, _ api: HashmapAPI) async throws -> Response {
            let body = try await JSONBody.read(request)
            let id = try context.parameters.get("id") ?? body.required("service_id")
            _ = try await api.write(context, reason: "hashmap service deleted through the API") { catalog, now in
                let service = try liveService(catalog, id)
                let rules = HashmapAPI.cascade(catalog, at: now) { $0.service == service.name }
                let fields = catalog.liveFields.filter { if case .field(service.name, _) = $0.target { return true } else { return false } }
                return rules + fields.map { PlannedRuleChange(change: .delete($0.target), start: now) }
                    + [PlannedRuleChange(change: .delete(service.target), start: now)]
            }
            return HashmapAPI.noContent()
        }

        // Fields.
        group.get("fields") { request, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            var fields = catalog.liveFields
            if let serviceID = request.query("service_id") {
                let service = try liveService(catalog, serviceID)
                fields = fields.filter { if case .field(service.name, _) = $0.target { return true } else { return false } }
            }
            return Response.json(CanonicalJSON.list("fields", fields.map { catalog.json(field: $0) }).text)
        }
        group.get("fields/:id") { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(catalog.json(field: try liveField(catalog, context.parameters.require("id"))).text)
        }
        group.post("fields") { request, context -> Response in
            let body = try await JSONBody.read(request)
            let name = try body.required("name"), serviceID = try body.required("service_id")
            let catalog = try await api.write(context, reason: "hashmap field \(name) created through the API", force: true) { catalog, now in
                let service = try liveService(catalog, serviceID)
                let start = HashmapAPI.declarationStart(catalog, .field(service: service.name, name: name),
                                                        floor: max(service.validity.start, EventTime(micros: 0)), now: now)
                return [PlannedRuleChange(change: .create(.field(service: service.name, name: name)), start: start)]
            }
            guard let created = catalog.liveFields.last(where: { $0.name == name && catalog.serviceID(ofField: $0) == serviceID }) else {
                throw APIError(.internalServerError, "field not folded")
            }
            return HashmapAPI.created(catalog.json(field: created), location: request.absolute("/v1/rating/module_config/hashmap/fields/\(created.id)"))
        }
        group.delete("fields/:id") { request, context -> Response in try await deleteField(request, context, api) }
        group.delete("fields") { request, context -> Response in try await deleteField(request, context, api) }
        @Sendable func deleteField(_ request: Request, _ context: TallyRequestContext, _ api: HashmapAPI) async throws -> Response {
            let body = try await JSONBody.read(request)
            let id = try context.parameters.get("id") ?? body.required("field_id")
            _ = try await api.write(context, reason: "hashmap field deleted through the API") { catalog, now in
                let field = try liveField(catalog, id)
                guard case .field(let service, let name) = field.target else { return [] }
                return HashmapAPI.cascade(catalog, at: now) { $0.service == service && $0.field == name }
                    + [PlannedRuleChange(change: .delete(field.target), start: now)]
            }
            return HashmapAPI.noContent()
        }

        // Groups.
        group.get("groups") { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(CanonicalJSON.list("groups", catalog.liveGroups.map { catalog.json(group: $0) }).text)
        }
        group.get("groups/mappings") { request, context -> Response in
            try await groupRules(request, context, api: api, kind: .mapping, key: "mappings")
        }
        group.get("groups/thresholds") { request, context -> Response in
            try await groupRules(request, context, api: api, kind: .threshold, key: "thresholds")
        }
        group.get("groups/:id") { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(catalog.json(group: try liveGroup(catalog, context.parameters.require("id"))).text)
        }
        group.post("groups") { request, context -> Response in
            let name = try await JSONBody.read(request).required("name")
            let catalog = try await api.write(context, reason: "hashmap group \(name) created through the API", force: true) { catalog, now in
                [PlannedRuleChange(change: .create(.group(name)), start: HashmapAPI.declarationStart(catalog, .group(name), now: now))]
            }
            guard let created = catalog.liveGroups.last(where: { $0.name == name }) else { throw APIError(.internalServerError, "group not folded") }
            return HashmapAPI.created(catalog.json(group: created), location: request.absolute("/v1/rating/module_config/hashmap/groups/\(created.id)"))
        }
        group.delete("groups/:id") { request, context -> Response in try await deleteGroup(request, context, api) }
        group.delete("groups") { request, context -> Response in try await deleteGroup(request, context, api) }
        @Sendable func deleteGroup(_ request: Request, _ context: TallyRequestContext, _ api: HashmapAPI) async throws -> Response {
            let body = try await JSONBody.read(request)
            let id = try context.parameters.get("id") ?? body.required("group_id")
            let bodyFlag = try body.bool("recursive")
            let recursive = try request.queryFlag("recursive") ?? bodyFlag ?? false
            _ = try await api.write(context, reason: "hashmap group deleted through the API") { catalog, now in
                let group = try liveGroup(catalog, id)
                let rules = HashmapAPI.cascade(catalog, at: now) { $0.group == group.name }
                if !recursive && !rules.isEmpty {
                    throw APIError(.conflict, "group \(group.name) still has \(rules.count) rule(s): delete with recursive=true to delete them too")
                }
                return rules + [PlannedRuleChange(change: .delete(group.target), start: now)]
            }
            return HashmapAPI.noContent()
        }
    }

    static func groupRules(_ request: Request, _ context: TallyRequestContext, api: HashmapAPI, kind: RuleItemKind,
                           key: String) async throws -> Response {
        _ = try context.admin()
        guard let groupID = request.query("group_id") else { throw APIError.badRequest("`group_id` is required") }
        let catalog = try await api.catalog()
        let group = try liveGroup(catalog, groupID)
        let rules = catalog.rules.filter { $0.kind == kind && !$0.deleted && $0.group == group.name }
        return Response.json(CanonicalJSON.list(key, rules.map { catalog.json($0) }).text)
    }

    static func liveService(_ catalog: HashmapCatalog, _ id: String) throws -> HashmapCatalog.Declaration {
        guard let s = catalog.service(id: id), catalog.isLive(s) else { throw APIError.notFound("No such service: \(id)") }
        return s
    }
    static func liveField(_ catalog: HashmapCatalog, _ id: String) throws -> HashmapCatalog.Declaration {
        guard let f = catalog.field(id: id), catalog.isLive(f) else { throw APIError.notFound("No such field: \(id)") }
        return f
    }
    static func liveGroup(_ catalog: HashmapCatalog, _ id: String) throws -> HashmapCatalog.Declaration {
        guard let g = catalog.group(id: id), catalog.isLive(g) else { throw APIError.notFound("No such group: \(id)") }
        return g
    }
}
