import Hummingbird
import TallyCore

/// `/v1/rating/module_config/hashmap/{mappings,thresholds}`: rules. Each write is one
/// rule-log event authored by the caller. A mapping's CloudKitty `name` is its rule id in
/// the log (so `tally rules show` names it); a threshold's rule id is a new UUID. The API
/// id of either is derived from the event that created the incarnation.
enum HashmapRuleRoutes {
    static func register(on group: RouterGroup<TallyRequestContext>, api: HashmapAPI) {
        for kind in [RuleItemKind.mapping, .threshold] {
            let path = kind == .mapping ? "mappings" : "thresholds"
            group.get("\(path)/group") { request, context -> Response in
                _ = try context.admin()
                let idKey = kind == .mapping ? "mapping_id" : "threshold_id"
                guard let id = request.query(idKey) else { throw APIError.badRequest("`\(idKey)` is required") }
                let catalog = try await api.catalog()
                let rule = try existing(catalog, id, kind)
                guard let groupID = catalog.groupID(of: rule), let g = catalog.group(id: groupID) else {
                    throw APIError.notFound("No group for \(kind.rawValue) \(id)")
                }
                return Response.json(catalog.json(group: g).text)
            }
            group.get(RouterPath(path)) { request, context -> Response in
                _ = try context.admin()
                let catalog = try await api.catalog()
                let rules = try filtered(catalog, kind: kind, request: request)
                return Response.json(CanonicalJSON.list(path, rules.map { catalog.json($0) }).text)
            }
            group.get("\(path)/:id") { _, context -> Response in
                _ = try context.admin()
                let catalog = try await api.catalog()
                return Response.json(catalog.json(try existing(catalog, context.parameters.require("id"), kind)).text)
            }
            group.post(RouterPath(path)) { request, context -> Response in
                let body = try await JSONBody.read(request)
                let force = try request.queryFlag("force") ?? false
                let ruleID = kind == .mapping ? (try body.string("name")).flatMap { $0.isEmpty ? nil : $0 } ?? RuleLogView.newUUID()
                                              : RuleLogView.newUUID()
                let reason = try body.string("description").flatMap { $0.isEmpty ? nil : $0 }
                    ?? "hashmap \(kind.rawValue) created through the API"
                let catalog = try await api.write(context, reason: reason, force: force) { catalog, now in
                    let (item, start, end) = try content(body, kind: kind, ruleID: ruleID, catalog: catalog, now: now, base: nil)
                    return [PlannedRuleChange(change: .create(item), start: start, end: end)]
                }
                guard let created = catalog.rules.last(where: { $0.kind == kind && $0.ruleID == ruleID }) else {
                    throw APIError(.internalServerError, "\(kind.rawValue) not folded")
                }
                return HashmapAPI.created(catalog.json(created), location: request.absolute("/v1/rating/module_config/hashmap/\(path)/\(created.apiID)"))
            }
            // The client PUTs and DELETEs on the collection with the id in the body, CloudKitty
            // on `…/{id}`: both are served.
            for route in ["\(path)/:id", path] {
                group.put(RouterPath(route)) { request, context -> Response in
                    let body = try await JSONBody.read(request)
                    let id = try context.parameters.get("id") ?? body.required(kind == .mapping ? "mapping_id" : "threshold_id")
                    let force = try request.queryFlag("force") ?? false
                    do {
                        _ = try await api.write(context, reason: "hashmap \(kind.rawValue) updated through the API", force: force) { catalog, now in
                            let rule = try existing(catalog, id, kind)
                            guard !rule.deleted else { throw APIError.notFound("No such \(kind.rawValue): \(id)") }
                            return try update(rule, body: body, catalog: catalog, now: now)
                        }
                    } catch is RatingRoutes.NothingToChange {}
                    var response = Response(status: .found)
                    response.headers[.location] = request.absolute("/v1/rating/module_config/hashmap/\(path)/\(id)")
                    return response
                }
                group.delete(RouterPath(route)) { request, context -> Response in
                    let body = try await JSONBody.read(request)
                    let id = try context.parameters.get("id") ?? body.required(kind == .mapping ? "mapping_id" : "threshold_id")
                    _ = try await api.write(context, reason: "hashmap \(kind.rawValue) deleted through the API") { catalog, now in
                        let rule = try existing(catalog, id, kind)
                        guard !rule.deleted else { throw APIError.notFound("No such \(kind.rawValue): \(id)") }
                        return [PlannedRuleChange(change: .delete(.rule(kind, rule.ruleID)), start: now)]
                    }
                    return HashmapAPI.noContent()
                }
            }
        }
    }

    static func existing(_ catalog: HashmapCatalog, _ id: String, _ kind: RuleItemKind) throws -> HashmapCatalog.Rule {
        guard let rule = catalog.rule(apiID: id, kind: kind) else { throw APIError.notFound("No such \(kind.rawValue): \(id)") }
        return rule
    }

    /// CloudKitty's list filters: the audit filters (`AuditedRule`), then the rule's
    /// service, field, group and tenant (`tenant_id` applies with `filter_tenant=true`,
    /// which without `tenant_id` selects the rules of no tenant) and dates.
    static func filtered(_ catalog: HashmapCatalog, kind: RuleItemKind, request: Request) throws -> [HashmapCatalog.Rule] {
        var rules = try catalog.rules.filter { $0.kind == kind }.auditFiltered(by: request, now: catalog.now)
        if let id = request.query("service_id") { rules = rules.filter { catalog.serviceID(of: $0) == id } }
        if let id = request.query("field_id") { rules = rules.filter { catalog.fieldID(of: $0) == id } }
        if let id = request.query("group_id") { rules = rules.filter { catalog.groupID(of: $0) == id } }
        if try request.queryFlag("no_group") == true { rules = rules.filter { $0.group == nil } }
        if try request.queryFlag("filter_tenant") == true {
            let tenant = request.query("tenant_id")
            rules = rules.filter { $0.tenant == tenant }
        }
        if let text = request.query("start") {
            let t = try APIDate.parse(text, member: "start")
            rules = rules.filter { $0.validity.start >= t }
        }
        if let text = request.query("end") {
            let t = try APIDate.parse(text, member: "end", isEnd: true)
            rules = rules.filter { $0.validity.end.map { $0 <= t } ?? false }
        }
        return rules
    }

    /// The rule a create (or an update, from `base`) body describes, with its validity.
    static func content(_ body: JSONBody, kind: RuleItemKind, ruleID: String, catalog: HashmapCatalog, now: EventTime,
                        base: HashmapCatalog.Rule?) throws -> (RuleItem, EventTime, EventTime?) {
        let serviceID = try body.string("service_id"), fieldID = try body.string("field_id")
        var service: String, field: String?
        switch (serviceID, fieldID) {
        case (let s?, nil):
            guard let d = catalog.service(id: s), catalog.isLive(d) else { throw APIError.notFound("No such service: \(s)") }
            service = d.name
        case (nil, let f?):
            guard let d = catalog.field(id: f), catalog.isLive(d), case .field(let s, let name) = d.target else {
                throw APIError.notFound("No such field: \(f)")
            }
            service = s; field = name
        case (nil, nil): throw APIError.badRequest("You must specify either a service_id or a field_id")
        default: throw APIError.badRequest("You can't specify both a service_id and a field_id")
        }
        var groupName: String?
        if let g = try body.string("group_id") {
            guard let d = catalog.group(id: g), catalog.isLive(d) else { throw APIError.notFound("No such group: \(g)") }
            groupName = d.name
        }
        let tenant = try body.string("tenant_id").flatMap { $0.isEmpty ? nil : $0 }
        let typeText = try body.string("type") ?? "flat"
        guard let type = CostType(rawValue: typeText) else { throw APIError.badRequest("`type` must be flat or rate, not '\(typeText)'") }
        guard let cost = try body.decimal("cost") else { throw APIError.badRequest("`cost` is required") }
        let start = try body.string("start").map { try APIDate.parse($0, member: "start") } ?? base.map(\.validity.start) ?? now
        let end = try body.string("end").map { try APIDate.parse($0, member: "end", isEnd: true) }
        if let end, end <= start { throw APIError.badRequest("end \(Timestamps.iso8601(end)) is not after start \(Timestamps.iso8601(start))") }
        switch kind {
        case .mapping:
            let value = try body.string("value").flatMap { $0.isEmpty ? nil : $0 }
            if field != nil && value == nil { throw APIError.badRequest("a field mapping needs a `value`") }
            if field == nil && value != nil { throw APIError.badRequest("You can't specify a value when a service_id is specified") }
            return (.mapping(HashMapping(id: ruleID, service: service, field: field, value: value, type: type, cost: cost,
                                         group: groupName, tenant: tenant)), start, end)
        default:
            guard let level = try body.decimal("level") else { throw APIError.badRequest("`level` is required") }
            return (.threshold(HashThreshold(id: ruleID, service: service, field: field, level: level, type: type, cost: cost,
                                             group: groupName, tenant: tenant)), start, end)
        }
    }

    /// CloudKitty 23's update rules. A rule that has not started is freely editable (an
    /// `update` event). A started mapping may only get a future `end`, and only if it had
    /// none (an `end` event); anything else is a 400 with CloudKitty's text
    /// (`CloudKittyDateRules`). CloudKitty 23 gave dates to mappings only: a threshold is
    /// updated whenever asked, from now on (one event ending the old content now and creating
    /// the new from now, so windows already rated keep their price; `HashmapCatalog` shows
    /// both as the one threshold, under its first id).
    static func update(_ rule: HashmapCatalog.Rule, body: JSONBody, catalog: HashmapCatalog, now: EventTime) throws -> [PlannedRuleChange] {
        var merged = body.members
        // The client PUTs the whole object it read: ids it did not change stay as they were.
        for (key, value) in catalog.json(rule).objectMembers where merged[key] == nil {
            if case .string(let s) = value { merged[key] = s }
        }
        let (item, start, end) = try content(JSONBody(members: merged), kind: rule.kind, ruleID: rule.ruleID, catalog: catalog,
                                             now: now, base: rule)
        let original = rule.mapping.map(RuleItem.mapping) ?? rule.threshold.map(RuleItem.threshold)!
        // keystoneauth re-sends a PUT to the 302's Location: the same content again is a no-op.
        if item.with(validity: .always) == original.with(validity: .always), start == rule.validity.start, end == rule.validity.end {
            throw RatingRoutes.NothingToChange()
        }
        if rule.validity.start > now {
            return [PlannedRuleChange(change: .update(item), start: start, end: end)]
        }
        let contentChanged = item.with(validity: .always) != original.with(validity: .always)
        var changed = contentChanged || start != rule.validity.start
        if rule.kind == .threshold {
            if contentChanged {
                return [PlannedRuleChange(change: .end(.rule(.threshold, rule.ruleID)), start: now),
                        PlannedRuleChange(change: .create(item), start: now, end: end)]
            }
            // The start a client sends back is the one it read (of the first incarnation).
            if end == rule.validity.end { throw RatingRoutes.NothingToChange() }
            changed = false
        }
        guard let end = try CloudKittyDateRules.endOfStartedRule(start: rule.validity.start, currentEnd: rule.validity.end,
                                                                 newEnd: end, changed: changed, now: now) else {
            throw RatingRoutes.NothingToChange()
        }
        return [PlannedRuleChange(change: .end(.rule(rule.kind, rule.ruleID)), start: end)]
    }
}

extension CanonicalJSON {
    var objectMembers: [String: CanonicalJSON] { if case .object(let m) = self { return m } else { return [:] } }
}
