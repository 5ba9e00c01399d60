/// The canonical bytes of a rule event written straight into a buffer: every fold checks
/// every event's hash over these bytes, so they are written member by member in the
/// canonical key order (sorted by UTF-8 bytes, spelled out below per shape) instead of
/// building member lists and sorting them. The tree form (`canonicalJSON`) stays the
/// reference: RuleEventCanonicalWriterTests checks both agree on random events.
/// Tiers and batches (rare in a log) are written through the member lists.

extension RuleEvent {
    func writeCanonical(includingHash: Bool, into out: inout [UInt8]) {
        var w = CanonicalObjectWriter(out: out)
        out = []
        w.begin()
        w.string("author", author)
        w.key("change"); Self.writeChange(change, &w)
        if let end { w.time("end", end) }
        w.key("force"); w.out.append(contentsOf: (force ? "true" : "false").utf8)
        if includingHash { w.string("hash", hash) }
        w.string("id", id)
        w.string("previous_hash", previousHash)
        w.string("reason", reason)
        w.time("recorded_at", recordedAt)
        if includingHash, let signature {
            w.key("signature")
            w.begin(); w.string("key", signature.key); w.string("value", signature.value); w.end()
        }
        w.time("start", start)
        w.end()
        out = w.out
    }

    private static func writeChange(_ change: RuleChange, _ w: inout CanonicalObjectWriter) {
        switch change {
        case .create(let item), .update(let item): writeItem(item, op: change.operation, &w)
        case .end(let target), .delete(let target): writeTarget(target, op: change.operation, &w)
        case .enableModule(let m), .disableModule(let m):
            w.begin(); w.string("kind", "module"); w.string("module", m.rawValue); w.string("op", change.operation); w.end()
        case .setModulePriority(let m, let priority):
            w.begin(); w.string("kind", "module"); w.string("module", m.rawValue); w.string("op", change.operation)
            w.key("priority"); CanonicalJSON.writeInteger(Int64(priority), into: &w.out)
            w.end()
        case .batch:
            w.fallback(change.canonicalPairs)
        }
    }

    private static func writeItem(_ item: RuleItem, op: String, _ w: inout CanonicalObjectWriter) {
        switch item {
        case .group(let name):
            w.begin(); w.string("kind", "group"); w.string("name", name); w.string("op", op); w.end()
        case .service(let s):
            w.begin()
            w.key("fields"); w.out.append(UInt8(ascii: "["))
            for (i, field) in s.fields.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(field, into: &w.out)
            }
            w.out.append(UInt8(ascii: "]"))
            w.string("kind", "service"); w.string("name", s.name); w.string("op", op)
            w.end()
        case .field(let service, let name):
            w.begin(); w.string("kind", "field"); w.string("name", name); w.string("op", op); w.string("service", service); w.end()
        case .mapping(let m):
            w.begin()
            w.decimal("cost", m.cost); w.optional("field", m.field); w.optional("group", m.group); w.string("id", m.id)
            w.string("kind", "mapping"); w.string("op", op); w.string("service", m.service); w.optional("tenant", m.tenant)
            w.string("type", m.type.rawValue); w.optional("value", m.value)
            w.end()
        case .threshold(let t):
            w.begin()
            w.decimal("cost", t.cost); w.optional("field", t.field); w.optional("group", t.group); w.string("id", t.id)
            w.string("kind", "threshold"); w.decimal("level", t.level); w.string("op", op); w.string("service", t.service)
            w.optional("tenant", t.tenant); w.string("type", t.type.rawValue)
            w.end()
        case .script(let s):
            w.begin(); w.string("id", s.id); w.string("kind", "script"); w.string("op", op); w.string("source", s.source); w.end()
        case .tier:
            var members = item.canonicalMembers
            members["op"] = .string(op)
            w.fallback(members)
        }
    }

    private static func writeTarget(_ target: RuleTarget, op: String, _ w: inout CanonicalObjectWriter) {
        w.begin()
        switch target {
        case .group(let name): w.string("kind", "group"); w.string("name", name); w.string("op", op)
        case .service(let name): w.string("kind", "service"); w.string("name", name); w.string("op", op)
        case .field(let service, let name):
            w.string("kind", "field"); w.string("name", name); w.string("op", op); w.string("service", service)
        case .rule(let kind, let id): w.string("id", id); w.string("kind", kind.rawValue); w.string("op", op)
        }
        w.end()
    }
}

/// Appends one JSON object's members in the order the caller gives (the caller's job
/// to give them sorted). Keys are plain ASCII and need no escaping.
struct CanonicalObjectWriter {
    var out: [UInt8]
    private var needsComma = false

    init(out: [UInt8]) { self.out = out }

    mutating func begin() { out.append(UInt8(ascii: "{")); needsComma = false }

    /// Closes an object; it was a value, so a member may follow it.
    mutating func end() { out.append(UInt8(ascii: "}")); needsComma = true }

    mutating func key(_ k: StaticString) {
        if needsComma { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\"")); out.append(UInt8(ascii: ":"))
        needsComma = true
    }

    mutating func string(_ k: StaticString, _ value: String) { key(k); CanonicalJSON.writeString(value, into: &out) }

    mutating func optional(_ k: StaticString, _ value: String?) { if let value { string(k, value) } }

    mutating func decimal(_ k: StaticString, _ value: ExactDecimal) { key(k); CanonicalJSON.writeDecimal(value, into: &out) }

    mutating func time(_ k: StaticString, _ t: EventTime) {
        key(k)
        out.append(UInt8(ascii: "\""))
        Timestamps.writeISO8601(t, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A value written through member lists (sorted there).
    mutating func fallback(_ members: CanonicalMembers) {
        members.write(into: &out)
        needsComma = true
    }
}
