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

        group.get("groups/mappings") { request, context -> Response in
            try await groupRules(request, context, api: api, kind: .mapping, key: "mappings")
        }
        group.get("groups/thresholds") { request, context -> Response in
            try await groupRules(request, context, api: api, kind: .threshold, key: "thresholds")
        }
        for kind in [services, fields, groups] { register(kind, on: group, api: api) }
    }

    /// List, get, create and delete (by path or by body id) of one kind of declaration.
    static func register(_ kind: HashmapDeclarationKind, on group: RouterGroup<TallyRequestContext>, api: HashmapAPI) {
        group.get(RouterPath(kind.plural)) { request, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            let listed = try kind.filter(request, catalog, kind.live(catalog))
            return Response.json(CanonicalJSON.list(kind.plural, listed.map { kind.json(catalog, $0) }).text)
        }
        group.get(RouterPath("\(kind.plural)/:id")) { _, context -> Response in
            _ = try context.admin()
            let catalog = try await api.catalog()
            return Response.json(kind.json(catalog, try kind.live(catalog, context.parameters.require("id"))).text)
        }
        group.post(RouterPath(kind.plural)) { request, context -> Response in
            let creation = try kind.creation(try await JSONBody.read(request))
            let catalog = try await api.write(context, reason: "hashmap \(kind.singular) \(creation.name) created through the API",
                                              force: true, plan: creation.plan)
            guard let created = creation.find(catalog) else { throw APIError(.internalServerError, "\(kind.singular) not folded") }
            return HashmapAPI.created(kind.json(catalog, created),
                                      location: request.absolute("/v1/rating/module_config/hashmap/\(kind.plural)/\(created.id)"))
        }
        @Sendable func delete(_ request: Request, _ context: TallyRequestContext) async throws -> Response {
            let body = try await JSONBody.read(request)
            let id = try context.parameters.get("id") ?? body.required(kind.idKey)
            let recursive = kind.takesRecursive ? try recursiveFlag(request, body) : false
            _ = try await api.write(context, reason: "hashmap \(kind.singular) deleted through the API") { catalog, now in
                try kind.deletion(catalog, try kind.live(catalog, id), now, recursive)
            }
            return HashmapAPI.noContent()
        }
        group.delete(RouterPath("\(kind.plural)/:id")) { request, context -> Response in try await delete(request, context) }
        group.delete(RouterPath(kind.plural)) { request, context -> Response in try await delete(request, context) }
    }

    static let services = HashmapDeclarationKind(
        singular: "service", plural: "services", idKey: "service_id",
        live: { $0.liveServices }, lookup: { $0.service(id: $1) }, json: { $0.json(service: $1) },
        creation: { body in
            let name = try body.required("name")
            return .init(name: name, plan: { catalog, now in
                [PlannedRuleChange(change: .create(.service(ServiceDeclaration(name: name))),
                                   start: HashmapAPI.declarationStart(catalog, .service(name), now: now))]
            }, find: { $0.liveServices.last(where: { $0.name == name }) })
        },
        deletion: { catalog, service, now, _ in
            let rules = HashmapAPI.cascade(catalog, at: now) { $0.service == service.name }
            let fields = catalog.liveFields.filter { if case .field(service.name, _) = $0.target { return true } else { return false } }
            return rules + fields.map { PlannedRuleChange(change: .delete($0.target), start: now) }
                + [PlannedRuleChange(change: .delete(service.target), start: now)]
        })

    static let fields = HashmapDeclarationKind(
        singular: "field", plural: "fields", idKey: "field_id",
        live: { $0.liveFields }, lookup: { $0.field(id: $1) }, json: { $0.json(field: $1) },
        filter: { request, catalog, fields in
            guard let serviceID = request.query("service_id") else { return fields }
            let service = try services.live(catalog, serviceID)
            return fields.filter { if case .field(service.name, _) = $0.target { return true } else { return false } }
        },
        creation: { body in
            let name = try body.required("name"), serviceID = try body.required("service_id")
            return .init(name: name, plan: { catalog, now in
                let service = try services.live(catalog, serviceID)
                let start = HashmapAPI.declarationStart(catalog, .field(service: service.name, name: name),
                                                        floor: max(service.validity.start, EventTime(micros: 0)), now: now)
                return [PlannedRuleChange(change: .create(.field(service: service.name, name: name)), start: start)]
            }, find: { catalog in
                catalog.liveFields.last(where: { $0.name == name && catalog.serviceID(ofField: $0) == serviceID })
            })
        },
        deletion: { catalog, field, now, _ in
            guard case .field(let service, let name) = field.target else { return [] }
            return HashmapAPI.cascade(catalog, at: now) { $0.service == service && $0.field == name }
                + [PlannedRuleChange(change: .delete(field.target), start: now)]
        })

    static let groups = HashmapDeclarationKind(
        singular: "group", plural: "groups", idKey: "group_id",
        live: { $0.liveGroups }, lookup: { $0.group(id: $1) }, json: { $0.json(group: $1) },
        creation: { body in
            let name = try body.required("name")
            return .init(name: name, plan: { catalog, now in
                [PlannedRuleChange(change: .create(.group(name)), start: HashmapAPI.declarationStart(catalog, .group(name), now: now))]
            }, find: { $0.liveGroups.last(where: { $0.name == name }) })
        },
        takesRecursive: true,
        deletion: { catalog, group, now, recursive in
            let rules = HashmapAPI.cascade(catalog, at: now) { $0.group == group.name }
            if !recursive && !rules.isEmpty {
                throw APIError(.conflict, "group \(group.name) still has \(rules.count) rule(s): delete with recursive=true to delete them too")
            }
            return rules + [PlannedRuleChange(change: .delete(group.target), start: now)]
        })

    /// `recursive` from the query, else the body; the body's is checked even when the query has one.
    static func recursiveFlag(_ request: Request, _ body: JSONBody) throws -> Bool {
        let bodyFlag = try body.bool("recursive")
        return try request.queryFlag("recursive") ?? bodyFlag ?? false
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

    static func liveGroup(_ catalog: HashmapCatalog, _ id: String) throws -> HashmapCatalog.Declaration {
        try groups.live(catalog, id)
    }
}
