/// The canonical JSON form of rule events (docs/RULE-LOG.md, "Canonical encoding").
/// The same tree is what writers publish and, without `hash`, what the hash covers.

extension RuleEvent {
    /// The event as a canonical JSON tree; without `hash` when `includingHash` is false.
    public func canonicalJSON(includingHash: Bool = true) -> CanonicalJSON {
        var members = topMembers(includingHash: includingHash).dictionary
        members["change"] = change.canonicalJSON
        if includingHash, let signature {
            members["signature"] = .object(["key": .string(signature.key), "value": .string(signature.value)])
        }
        return .object(members)
    }

    /// The canonical bytes, as published (`includingHash`) or hashed (without): the
    /// UTF-8 of `canonicalJSON(includingHash:).text`, written directly without a tree
    /// (this runs for every event folded; RuleEvent+CanonicalWriter.swift).
    public func canonicalBytes(includingHash: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        writeCanonical(includingHash: includingHash, into: &out)
        return out
    }

    private func topMembers(includingHash: Bool) -> CanonicalMembers {
        var m = CanonicalMembers()
        m["author"] = .string(author)
        if let end { m["end"] = .time(end) }
        m["force"] = .bool(force)
        if includingHash { m["hash"] = .string(hash) }
        m["id"] = .string(id)
        m["previous_hash"] = .string(previousHash)
        m["reason"] = .string(reason)
        m["recorded_at"] = .time(recordedAt)
        m["start"] = .time(start)
        return m
    }

    /// The canonical text (UTF-8 when published).
    public func canonicalText(includingHash: Bool = true) -> String {
        canonicalJSON(includingHash: includingHash).text
    }
}

extension CanonicalJSON {
    /// An instant as ISO 8601 UTC (`2026-07-01T00:00:00Z`, `.ffffff` only when needed).
    public static func time(_ t: EventTime) -> CanonicalJSON { .string(Timestamps.iso8601(t)) }
}

extension RuleChange {
    /// `{"op": …, "kind": …, …the item's members or the target's names…}`.
    public var canonicalJSON: CanonicalJSON { .object(canonicalPairs.dictionary) }

    var canonicalPairs: CanonicalMembers {
        var members: CanonicalMembers
        switch self {
        case .create(let item), .update(let item): members = item.canonicalMembers
        case .end(let target), .delete(let target): members = target.canonicalMembers
        case .enableModule(let m), .disableModule(let m):
            members = ["kind": .string("module"), "module": .string(m.rawValue)]
        case .setModulePriority(let m, let priority):
            members = ["kind": .string("module"), "module": .string(m.rawValue), "priority": .integer(Int64(priority))]
        case .batch(let parts):
            members = ["changes": .array(parts.map(\.canonicalJSON))]
        }
        members["op"] = .string(operation)
        return members
    }
}

extension PlannedRuleChange {
    /// A batch part: `{"change": {…}, "start": time, "end"?: time}`.
    var canonicalJSON: CanonicalJSON {
        var members: [String: CanonicalJSON] = ["change": change.canonicalJSON, "start": .time(start)]
        if let end { members["end"] = .time(end) }
        return .object(members)
    }
}

extension RuleTarget {
    var canonicalMembers: CanonicalMembers {
        switch self {
        case .group(let name): return ["kind": .string("group"), "name": .string(name)]
        case .service(let name): return ["kind": .string("service"), "name": .string(name)]
        case .field(let service, let name):
            return ["kind": .string("field"), "service": .string(service), "name": .string(name)]
        case .rule(let kind, let id): return ["kind": .string(kind.rawValue), "id": .string(id)]
        }
    }
}

extension RuleItem {
    /// The item's members, `kind` included; optional members are omitted when absent.
    var canonicalMembers: CanonicalMembers {
        var m: CanonicalMembers = ["kind": .string(kind.rawValue)]
        func optional(_ key: String, _ value: String?) { if let value { m[key] = .string(value) } }
        switch self {
        case .group(let name): m["name"] = .string(name)
        case .service(let s):
            m["name"] = .string(s.name)
            m["fields"] = .array(s.fields.map { .string($0) })
        case .field(let service, let name):
            m["service"] = .string(service); m["name"] = .string(name)
        case .mapping(let r):
            m["id"] = .string(r.id); m["service"] = .string(r.service)
            optional("field", r.field); optional("value", r.value)
            m["type"] = .string(r.type.rawValue); m["cost"] = .decimal(r.cost)
            optional("group", r.group); optional("tenant", r.tenant)
        case .threshold(let r):
            m["id"] = .string(r.id); m["service"] = .string(r.service); optional("field", r.field)
            m["level"] = .decimal(r.level); m["type"] = .string(r.type.rawValue); m["cost"] = .decimal(r.cost)
            optional("group", r.group); optional("tenant", r.tenant)
        case .tier(let r):
            m["id"] = .string(r.id); m["service"] = .string(r.service); optional("tenant", r.tenant)
            for (key, value) in r.schedule.canonicalMembers { m[key] = value }
            m["cycle"] = r.cycle.canonicalJSON
        case .script(let r):
            m["id"] = .string(r.id); m["source"] = .string(r.source)
        }
        return m
    }
}

extension TierSchedule {
    /// Every member written, defaults included, so equal schedules encode alike.
    var canonicalMembers: [String: CanonicalJSON] {
        [
            "mode": .string(mode.rawValue),
            "tiers": .array(tiers.map { band in
                var b: [String: CanonicalJSON] = ["unit_price": .decimal(band.unitPrice), "flat_fee": .decimal(band.flatFee)]
                if let upTo = band.upTo { b["up_to"] = .decimal(upTo) }
                return .object(b)
            }),
            "package_size": .decimal(packageSize), "package_price": .decimal(packagePrice),
            "free": .decimal(freeAllowance), "minimum": .decimal(minimumCharge),
        ]
    }
}

extension BillingCycle {
    /// `{"every": "month", "utc_offset_seconds": N}` or `{"every_seconds": N, "anchor": time}`.
    var canonicalJSON: CanonicalJSON {
        switch self {
        case .calendarMonth(let offset):
            return .object(["every": .string("month"), "utc_offset_seconds": .integer(Int64(offset))])
        case .fixed(let seconds, let anchor):
            return .object(["every_seconds": .integer(seconds), "anchor": .time(anchor)])
        }
    }
}
