import TallyCore

/// Rule events as published on `tally.rules`: canonical JSON (UTF-8) with `hash`
/// included (docs/RULE-LOG.md, schemas/rule-event.schema.json).
public enum RuleEventCodec {
    /// The canonical bytes of the event, `hash` included.
    public static func encode(_ event: RuleEvent) -> [UInt8] {
        event.canonicalBytes(includingHash: true)
    }

    /// Reads an event. Unknown members, wrong types and malformed values are errors
    /// naming the member. The bytes need not be canonical (see `isCanonical`).
    public static func decode(_ bytes: [UInt8]) throws(RuleEventDecodingError) -> RuleEvent {
        if let event = RuleEventDirectDecoder.decode(bytes) { return event }
        return try decodeTree(bytes)
    }

    /// The reference decoder (a JSON tree, then members by name): every shape, and the
    /// error naming the member for anything wrong. `decode` tries the direct one first.
    static func decodeTree(_ bytes: [UInt8]) throws(RuleEventDecodingError) -> RuleEvent {
        let tree: CanonicalJSON
        do { tree = try JSONTreeParser.parse(bytes) } catch {
            throw RuleEventDecodingError(field: "(document)", message: "not valid JSON: \(error)")
        }
        var top = try JSONMembers(tree, path: "")
        let id = try top.string("id"), author = try top.string("author"), reason = try top.string("reason")
        let recordedAt = try top.time("recorded_at"), start = try top.time("start"), end = try top.optionalTime("end")
        let force = try top.bool("force", default: false)
        let previousHash = try top.string("previous_hash"), hash = try top.string("hash")
        var changeMembers = try top.object("change")
        let change = try decodeChange(&changeMembers)
        try changeMembers.finish()
        var signature: RuleEventSignature?
        if top.optional("signature") != nil {
            var s = try top.object("signature")
            signature = RuleEventSignature(key: try s.string("key"), value: try s.string("value"))
            try s.finish()
        }
        try top.finish()
        var event = RuleEvent(id: id, author: author, reason: reason, recordedAt: recordedAt, start: start, end: end,
                              force: force, change: change, previousHash: previousHash, hash: hash)
        event.signature = signature
        return event
    }

    /// Whether `bytes` are exactly the canonical encoding of `event` (what writers
    /// publish and what an auditor's `jq -S -c` reproduces).
    public static func isCanonical(_ bytes: [UInt8], of event: RuleEvent) -> Bool {
        bytes == encode(event)
    }

    static func decodeChange(_ m: inout JSONMembers) throws(RuleEventDecodingError) -> RuleChange {
        let op = try m.string("op")
        if op == "batch" { return .batch(try decodeParts(&m)) }
        let kindText = try m.string("kind")
        if kindText == "module" {
            let module = try m.choice("module", RatingModuleKind.self)
            switch op {
            case "enable": return .enableModule(module)
            case "disable": return .disableModule(module)
            case "priority":
                let p = try m.integer("priority")
                guard let priority = Int(exactly: p) else { throw m.fail("priority", "out of range") }
                return .setModulePriority(module, priority)
            default: throw m.fail("op", "'\(op)' is not a module operation (enable, disable, priority)")
            }
        }
        guard let kind = RuleItemKind(rawValue: kindText) else {
            throw m.fail("kind", "unknown kind '\(kindText)'")
        }
        switch op {
        case "create": return .create(try decodeItem(kind, &m))
        case "update": return .update(try decodeItem(kind, &m))
        case "end": return .end(try decodeTarget(kind, &m))
        case "delete": return .delete(try decodeTarget(kind, &m))
        default: throw m.fail("op", "unknown operation '\(op)' (create, update, end, delete, enable, disable, priority)")
        }
    }

    /// A batch's `changes`: each `{"change", "start", "end"?}`; batches do not nest.
    static func decodeParts(_ m: inout JSONMembers) throws(RuleEventDecodingError) -> [PlannedRuleChange] {
        var parts: [PlannedRuleChange] = []
        for (i, value) in try m.array("changes").enumerated() {
            var part = try JSONMembers(value, path: m.name("changes[\(i)]"))
            let start = try part.time("start"), end = try part.optionalTime("end")
            var changeMembers = try part.object("change")
            let change = try decodeChange(&changeMembers)
            if case .batch = change { throw part.fail("change", "a batch cannot contain a batch") }
            try changeMembers.finish()
            try part.finish()
            parts.append(PlannedRuleChange(change: change, start: start, end: end))
        }
        if parts.isEmpty { throw m.fail("changes", "a batch needs at least one change") }
        return parts
    }

    static func decodeTarget(_ kind: RuleItemKind, _ m: inout JSONMembers) throws(RuleEventDecodingError) -> RuleTarget {
        switch kind {
        case .group: return .group(try m.string("name"))
        case .service: return .service(try m.string("name"))
        case .field: return .field(service: try m.string("service"), name: try m.string("name"))
        case .mapping, .threshold, .tier, .script: return .rule(kind, try m.string("id"))
        }
    }
}
