import TallyCore

/// The hashmap API's objects in CloudKitty's shapes (decimals as strings, absent ids as null,
/// dates naive UTC as CloudKitty 23 prints them).
extension HashmapCatalog {
    func json(service: Declaration) -> CanonicalJSON {
        .object(["service_id": .string(service.id), "name": .string(service.name)])
    }

    func json(field: Declaration) -> CanonicalJSON {
        .object(["field_id": .string(field.id), "name": .string(field.name),
                 "service_id": serviceID(ofField: field).map(CanonicalJSON.string) ?? .null])
    }

    func json(group: Declaration) -> CanonicalJSON {
        .object(["group_id": .string(group.id), "name": .string(group.name)])
    }

    func json(_ rule: Rule) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "service_id": Self.optional(serviceID(of: rule)),
            "field_id": Self.optional(fieldID(of: rule)),
            "group_id": Self.optional(groupID(of: rule)),
            "tenant_id": Self.optional(rule.tenant),
            "start": Self.time(rule.validity.start == .distantPast ? nil : rule.validity.start),
            "end": Self.time(rule.validity.end),
            "created_at": Self.time(rule.created?.recordedAt),
            "created_by": Self.optional(rule.created?.author),
            "updated_at": Self.time(rule.updated?.recordedAt),
            "updated_by": Self.optional(rule.updated?.author),
            "deleted": Self.time(rule.deletedBy?.recordedAt),
            "deleted_by": Self.optional(rule.deletedBy?.author),
            "description": Self.optional(rule.created?.reason),
        ]
        if let m = rule.mapping {
            members["mapping_id"] = .string(rule.apiID)
            members["name"] = .string(rule.ruleID)
            members["value"] = Self.optional(m.value)
            members["type"] = .string(m.type.rawValue)
            members["cost"] = .decimal(m.cost)
        } else if let t = rule.threshold {
            members["threshold_id"] = .string(rule.apiID)
            members["name"] = .string(rule.ruleID)
            members["level"] = .decimal(t.level)
            members["type"] = .string(t.type.rawValue)
            members["cost"] = .decimal(t.cost)
        }
        return .object(members)
    }

    static func optional(_ text: String?) -> CanonicalJSON { text.map(CanonicalJSON.string) ?? .null }
    static func time(_ t: EventTime?) -> CanonicalJSON { APIDate.naive(t) }
}

extension CanonicalJSON {
    /// `{"key": [items]}`, CloudKitty's list envelope.
    static func list(_ key: String, _ items: [CanonicalJSON]) -> CanonicalJSON { .object([key: .array(items)]) }
}
