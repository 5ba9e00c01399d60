import TallyCore

/// Reads the common rule events (create and update of groups, services, fields,
/// mappings, thresholds and scripts; end and delete of anything) in one pass over the
/// bytes, without building a JSON tree or member dictionaries: every reader folds every
/// stored event at start-up, and the tree cost more than the rest of the fold.
///
/// It only ever answers with the event the tree decoder would produce, or nil: for any
/// shape it does not handle (tiers, batches, module changes, null members, escaped keys)
/// and for anything wrong (unknown or repeated member, wrong type, bad time or number),
/// `RuleEventCodec.decode` then runs the tree decoder, which accepts the event or names
/// the problem exactly as before. RuleEventDirectDecoderTests holds the two together.
enum RuleEventDirectDecoder {
    /// Top-level members, by bit.
    private static let topKeys: [StaticString] = ["author", "change", "end", "force", "hash", "id", "previous_hash",
                                                  "reason", "recorded_at", "signature", "start"]
    /// Members of `change`, by index into `ChangeMembers.texts`.
    private static let changeKeys: [StaticString] = ["op", "kind", "name", "service", "id", "field", "value", "type",
                                                     "cost", "group", "tenant", "level", "source", "fields"]
    private enum C {
        static let op = 0, kind = 1, name = 2, service = 3, id = 4, field = 5, value = 6, type = 7, cost = 8, group = 9,
                   tenant = 10, level = 11, source = 12, fields = 13
    }

    /// Any reason not to answer; the tree decoder takes over.
    private struct Unhandled: Error {}

    static func decode(_ bytes: [UInt8]) -> RuleEvent? {
        bytes.withUnsafeBytes { raw -> RuleEvent? in
            var reader = Reader(scanner: JSONScanner(raw))
            do throws(Unhandled) { return try reader.event() } catch { return nil }
        }
    }

    private struct Reader {
        var scanner: JSONScanner
        let scratch = ScratchBuffer(capacity: 256)

        mutating func event() throws(Unhandled) -> RuleEvent {
            var texts = [String?](repeating: nil, count: RuleEventDirectDecoder.topKeys.count)
            var seen: UInt32 = 0
            var force = false
            // end, recorded_at, start: parsed from the bytes, no `String` made for them.
            var end: EventTime?, recorded: EventTime?, start: EventTime?
            var change: RuleChange?
            var signature: RuleEventSignature?
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                guard let index = Self.match(key, RuleEventDirectDecoder.topKeys) else { throw Unhandled() }
                guard seen & (1 << index) == 0 else { throw Unhandled() }
                seen |= 1 << index
                switch index {
                case 1: change = try self.change()
                case 2: end = try time()
                case 3: force = try bool()
                case 8: recorded = try time()
                case 10: start = try time()
                case 9: signature = try self.signature()
                default: texts[index] = try string()
                }
            }
            try step { s throws(JSONSyntaxError) in try s.expectEnd() }
            guard let author = texts[0], let change, let hash = texts[4], let id = texts[5], let previous = texts[6],
                  let reason = texts[7], let recorded, let start else { throw Unhandled() }
            var event = RuleEvent(id: id, author: author, reason: reason, recordedAt: recorded, start: start,
                                  end: end, force: force,
                                  change: change, previousHash: previous, hash: hash)
            event.signature = signature
            return event
        }

        mutating func change() throws(Unhandled) -> RuleChange {
            var texts = [String?](repeating: nil, count: RuleEventDirectDecoder.changeKeys.count)
            var fields: [String]?
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                guard let index = Self.match(key, RuleEventDirectDecoder.changeKeys) else { throw Unhandled() }
                guard seen & (1 << index) == 0 else { throw Unhandled() }
                seen |= 1 << index
                if index == C.fields { fields = try stringArray() } else { texts[index] = try string() }
            }
            guard let op = texts[C.op], let kindText = texts[C.kind], let kind = RuleItemKind(rawValue: kindText) else {
                throw Unhandled()  // batches, modules and unknown kinds: the tree decoder's
            }
            func only(_ allowed: [Int]) throws(Unhandled) {
                var mask: UInt32 = 0
                for i in allowed { mask |= 1 << i }
                if seen & ~mask != 0 { throw Unhandled() }
            }
            func required(_ i: Int) throws(Unhandled) -> String {
                guard let text = texts[i] else { throw Unhandled() }
                return text
            }
            switch op {
            case "create", "update":
                let item: RuleItem
                switch kind {
                case .group:
                    try only([C.op, C.kind, C.name])
                    item = .group(try required(C.name))
                case .service:
                    try only([C.op, C.kind, C.name, C.fields])
                    guard let fields else { throw Unhandled() }
                    item = .service(ServiceDeclaration(name: try required(C.name), fields: fields))
                case .field:
                    try only([C.op, C.kind, C.service, C.name])
                    item = .field(service: try required(C.service), name: try required(C.name))
                case .mapping:
                    try only([C.op, C.kind, C.id, C.service, C.field, C.value, C.type, C.cost, C.group, C.tenant])
                    item = .mapping(HashMapping(id: try required(C.id), service: try required(C.service), field: texts[C.field],
                                                value: texts[C.value], type: try costType(texts[C.type]),
                                                cost: try decimal(texts[C.cost]), group: texts[C.group], tenant: texts[C.tenant]))
                case .threshold:
                    try only([C.op, C.kind, C.id, C.service, C.field, C.level, C.type, C.cost, C.group, C.tenant])
                    item = .threshold(HashThreshold(id: try required(C.id), service: try required(C.service),
                                                    field: texts[C.field], level: try decimal(texts[C.level]),
                                                    type: try costType(texts[C.type]), cost: try decimal(texts[C.cost]),
                                                    group: texts[C.group], tenant: texts[C.tenant]))
                case .script:
                    try only([C.op, C.kind, C.id, C.source])
                    item = .script(ScriptRule(id: try required(C.id), source: try required(C.source)))
                case .tier:
                    throw Unhandled()
                }
                return op == "create" ? .create(item) : .update(item)
            case "end", "delete":
                let target: RuleTarget
                switch kind {
                case .group, .service:
                    try only([C.op, C.kind, C.name])
                    let name = try required(C.name)
                    target = kind == .group ? .group(name) : .service(name)
                case .field:
                    try only([C.op, C.kind, C.service, C.name])
                    target = .field(service: try required(C.service), name: try required(C.name))
                case .mapping, .threshold, .tier, .script:
                    try only([C.op, C.kind, C.id])
                    target = .rule(kind, try required(C.id))
                }
                return op == "end" ? .end(target) : .delete(target)
            default:
                throw Unhandled()
            }
        }

        mutating func signature() throws(Unhandled) -> RuleEventSignature {
            var key: String?, value: String?
            try beginObject()
            var first = true
            while let name = try nextKey(&first) {
                switch Self.match(name, ["key", "value"]) {
                case 0 where key == nil: key = try string()
                case 1 where value == nil: value = try string()
                default: throw Unhandled()
                }
            }
            guard let key, let value else { throw Unhandled() }
            return RuleEventSignature(key: key, value: value)
        }

        // MARK: Values

        /// Runs one scanner step; a syntax error is the tree decoder's to report.
        mutating func step<T>(_ body: (inout JSONScanner) throws(JSONSyntaxError) -> T) throws(Unhandled) -> T {
            do throws(JSONSyntaxError) { return try body(&scanner) } catch { throw Unhandled() }
        }

        mutating func expect(_ kind: JSONValueKind) throws(Unhandled) {
            guard try step({ s throws(JSONSyntaxError) in try s.peekKind() }) == kind else { throw Unhandled() }
        }

        mutating func beginObject() throws(Unhandled) {
            try expect(.object)
            try step { s throws(JSONSyntaxError) in try s.beginObject() }
        }

        /// The next key's bytes, nil at the end of the object; escaped keys are not handled.
        mutating func nextKey(_ first: inout Bool) throws(Unhandled) -> UnsafeRawBufferPointer? {
            var isFirst = first
            let span = try step { s throws(JSONSyntaxError) in try s.nextMember(&isFirst) }
            first = isFirst
            guard let span else { return nil }
            if span.hasEscapes { throw Unhandled() }
            return scanner.bytes(span.range)
        }

        mutating func string() throws(Unhandled) -> String {
            try expect(.string)
            let span = try step { s throws(JSONSyntaxError) in try s.readString() }
            let raw = scanner.bytes(span.range)
            return String(decoding: span.hasEscapes ? JSONUnescaper.unescape(raw, into: scratch) : raw, as: UTF8.self)
        }

        mutating func bool() throws(Unhandled) -> Bool {
            try expect(.bool)
            return try step { s throws(JSONSyntaxError) in try s.readBool() }
        }

        mutating func stringArray() throws(Unhandled) -> [String] {
            try expect(.array)
            try step { s throws(JSONSyntaxError) in try s.beginArray() }
            var items: [String] = []
            var first = true
            while true {
                var isFirst = first
                guard try step({ s throws(JSONSyntaxError) in try s.nextElement(&isFirst) }) else { break }
                first = isFirst
                items.append(try string())
            }
            return items
        }

        /// A time member's value; an escaped one is the tree decoder's.
        mutating func time() throws(Unhandled) -> EventTime {
            try expect(.string)
            let span = try step { s throws(JSONSyntaxError) in try s.readString() }
            if span.hasEscapes { throw Unhandled() }
            do throws(TimestampProblem) { return try TimestampParser.parse(scanner.bytes(span.range)) } catch { throw Unhandled() }
        }

        func decimal(_ text: String?) throws(Unhandled) -> ExactDecimal {
            guard let text, let d = ExactDecimal(text) else { throw Unhandled() }
            return d
        }

        func costType(_ text: String?) throws(Unhandled) -> CostType {
            guard let text, let type = CostType(rawValue: text) else { throw Unhandled() }
            return type
        }

        static func match(_ key: UnsafeRawBufferPointer, _ names: [StaticString]) -> Int? {
            for (i, name) in names.enumerated() where name.utf8CodeUnitCount == key.count {
                let bytes = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
                if bytes.elementsEqual(key) { return i }
            }
            return nil
        }
    }
}
