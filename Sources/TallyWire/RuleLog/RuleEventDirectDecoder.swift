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
///
/// Asked to (`Reader(canonical: true)`), it also notes whether the bytes are the canonical
/// encoding apart from `hash` and `signature`, and where those two members lie, so that
/// the reader can hash the stored bytes instead of encoding the event again
/// (`RuleEventDirectDecoder+ContentHash.swift`).
enum RuleEventDirectDecoder {
    /// Top-level members, by bit.
    private static let topKeys = KeyLiterals(["author", "change", "end", "force", "hash", "id", "previous_hash",
                                              "reason", "recorded_at", "signature", "start"])
    /// Members of `change`, by index into `texts`. Both lists are in canonical order
    /// (sorted by their bytes), so a member's index is also its rank there.
    private static let changeKeys = KeyLiterals(["cost", "field", "fields", "group", "id", "kind", "level", "name",
                                                 "op", "service", "source", "tenant", "type", "value"])
    private enum C {
        static let cost = 0, field = 1, fields = 2, group = 3, id = 4, kind = 5, level = 6, name = 7, op = 8, service = 9,
                   source = 10, tenant = 11, type = 12, value = 13
        /// A member's bit in a set of them (`ChangeMembers.seen`).
        @inline(__always) static func bit(_ i: Int) -> UInt32 { 1 &<< UInt32(truncatingIfNeeded: i) }
    }
    private enum Top {
        static let change = 1, force = 3, hash = 4, signature = 9
        /// The members an event must have: author, change, hash, id, previous_hash, reason,
        /// recorded_at and start (by their bits in `topKeys`).
        static let required: UInt32 = 1 << 0 | 1 << 1 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8 | 1 << 10
    }
    /// `RuleItemKind.allCases`, `CostType.allCases` and the four item operations, as bytes:
    /// what `kindIndex`, `costTypeIndex` and `operationIndex` match (and are tested against).
    static let kindNames: [StaticString] = ["group", "service", "field", "mapping", "threshold", "tier", "script"]
    static let costTypeNames: [StaticString] = ["flat", "rate"]
    static let operationNames: [StaticString] = ["create", "update", "end", "delete"]

    /// `RuleItemKind.allCases[i]` for an index into `kindNames`, without the array the
    /// getter builds at every call. RuleEventDirectDecoderTests holds the two equal.
    static func kind(at i: Int) -> RuleItemKind {
        switch i {
        case 0: .group
        case 1: .service
        case 2: .field
        case 3: .mapping
        case 4: .threshold
        case 5: .tier
        default: .script
        }
    }

    /// `CostType.allCases[i]` for an index into `costTypeNames`, likewise.
    static func costType(at i: Int) -> CostType { i == 0 ? .flat : .rate }

    /// A text of one to seven bytes as one word: its bytes little-endian, its length in the
    /// top byte; nil for any other length.
    @inline(__always)
    static func shortName(_ key: UnsafeRawBufferPointer) -> UInt64? {
        guard key.count > 0 && key.count < 8 else { return nil }
        return RuleTextInterner.firstWords(key).0 | UInt64(truncatingIfNeeded: key.count) << 56
    }

    /// `Reader.match(key, kindNames)`, `operationNames` and `costTypeNames` as one word
    /// compare per name (`shortName`; the literals are the names so packed): the list
    /// search cost ~60 instructions a member, three members an event.
    /// RuleEventDirectDecoderTests holds each to `match` on every name and near misses.
    static func kindIndex(_ key: UnsafeRawBufferPointer) -> Int? {
        guard let word = shortName(key) else {
            return key.count == 9 && equal(key, UnsafeRawBufferPointer(start: ("threshold" as StaticString).utf8Start, count: 9))
                ? 4 : nil
        }
        switch word {
        case 0x0500_0070_756F_7267: return 0  // group
        case 0x0765_6369_7672_6573: return 1  // service
        case 0x0500_0064_6C65_6966: return 2  // field
        case 0x0767_6E69_7070_616D: return 3  // mapping
        case 0x0400_0000_7265_6974: return 5  // tier
        case 0x0600_7470_6972_6373: return 6  // script
        default: return nil
        }
    }

    static func operationIndex(_ key: UnsafeRawBufferPointer) -> Int? {
        switch shortName(key) {
        case 0x0600_6574_6165_7263: return 0  // create
        case 0x0600_6574_6164_7075: return 1  // update
        case 0x0300_0000_0064_6E65: return 2  // end
        case 0x0600_6574_656C_6564: return 3  // delete
        default: return nil
        }
    }

    static func costTypeIndex(_ key: UnsafeRawBufferPointer) -> Int? {
        switch shortName(key) {
        case 0x0400_0000_7461_6C66: return 0  // flat
        case 0x0400_0000_6574_6172: return 1  // rate
        default: return nil
        }
    }

    /// Any reason not to answer; the tree decoder takes over.
    struct Unhandled: Error {}

    static func decode(_ bytes: [UInt8]) -> RuleEvent? {
        bytes.withUnsafeBytes { raw -> RuleEvent? in
            var reader = Reader(scanner: JSONScanner(raw), canonical: false, known: KnownStrings())
            do throws(Unhandled) { return try reader.event() } catch { return nil }
        }
    }

    struct Reader {
        var scanner: JSONScanner
        /// Only escaped strings need it: most events have none, and it costs two allocations.
        lazy var scratch = ScratchBuffer(capacity: 256)
        /// Whether everything read so far is in canonical form (key order, no whitespace,
        /// no escapes, canonical times and decimals, `force` present). Starts false when
        /// nobody asked: no check then runs.
        var canonical: Bool
        /// The `,"hash":…` and `,"signature":…` members' bytes, comma included.
        var hashMember: Range<Int>?, signatureMember: Range<Int>?
        /// Where `change`'s members lie, written in place by `readChangeMembers`: a local
        /// optional of this 148-byte value was copied (`memcpy`) at every turn of the key loop,
        /// about twenty times per event.
        var changeMembers = ChangeMembers()
        /// Strings the event is likely to repeat (the chain head, the last author): equal
        /// bytes take the known `String` instead of a new one.
        let known: KnownStrings
        /// The last time's date and its day count, for the next time (the caller's, kept
        /// from one event to the next: not in `known`, whose copy into the reader it made
        /// a value-witness copy).
        var lastDate: TimestampParser.CommonDate

        init(scanner: JSONScanner, canonical: Bool, known: KnownStrings,
             lastDate: TimestampParser.CommonDate = TimestampParser.CommonDate()) {
            self.scanner = scanner
            self.canonical = canonical
            self.known = known
            self.lastDate = lastDate
        }

        mutating func event() throws(Unhandled) -> RuleEvent {
            // The five text members, in locals: an array of them cost an allocation per event.
            var author: String?, hash: String?, id: String?, previous: String?, reason: String?
            var seen: UInt32 = 0
            var force = false
            // end, recorded_at, start: parsed from the bytes, no `String` made for them.
            var end: EventTime?, recorded: EventTime?, start: EventTime?
            var signature: RuleEventSignature?
            if canonical && scanner.count > 0 && isJSONWhitespace(scanner.base[0]) { canonical = false }
            try beginObject()
            var first = true
            var expected = 0
            // Read once: a static's every read is a `swift_once` check, ten times per event here.
            let topKeys = RuleEventDirectDecoder.topKeys
            while let (index, memberStart) = try nextKeyIndex(&first, topKeys, from: expected) {
                // An index is below the list's count (at most 14): unchecked shifts.
                expected = index &+ 1
                let bit: UInt32 = 1 &<< UInt32(truncatingIfNeeded: index)
                guard seen & bit == 0 else { throw Unhandled() }
                if canonical && seen >= bit { canonical = false }  // a later key came first
                seen |= bit
                switch index {
                case 1: try readChangeMembers()
                case 2: end = try time()
                case 3: force = try bool()
                case 8: recorded = try time()
                case 10: start = try time()
                case 9: signature = try self.signature()
                case 0: author = try string(reusing: known.author)
                case 4: hash = try string()
                case 5: id = try string()
                case 6: previous = try string(reusing: known.previousHash)
                default: reason = try repeatedString()  // 7, the only one left
                }
                if canonical && (index == Top.hash || index == Top.signature) {
                    if memberStart < 0 || scanner.base[memberStart] != UInt8(ascii: ",") { canonical = false }
                    if index == Top.hash { hashMember = memberStart..<scanner.position }
                    else { signatureMember = memberStart..<scanner.position }
                }
            }
            // The canonical encoding always writes `force`, and nothing after the object.
            if canonical && (seen & (1 << Top.force) == 0 || scanner.position != scanner.count) { canonical = false }
            try step { s throws(JSONSyntaxError) in try s.expectEnd() }
            // Every required member was seen, so each text is set (a member's case sets it or
            // throws), and is moved out (`take()`) into the event: binding them with
            // `guard let` copied each (a retain) and released the originals at the end.
            guard seen & Top.required == Top.required, let recorded, let start else { throw Unhandled() }
            // The change is built once the times are known, its item already dated, so the
            // event does not copy the item again to set its validity.
            let change = try self.change(validity: RuleValidity(start: start, end: end))
            return RuleEvent(id: id.take()!, author: author.take()!, reason: reason.take()!, recordedAt: recorded,
                             start: start, end: end, force: force, datedChange: change, previousHash: previous.take()!,
                             hash: hash.take()!, signature: signature.take())
        }

        /// Where each member of `change` lies (start and end offsets by member index; no
        /// allocation), and which hold escapes: a `String` is made only for the members an
        /// item keeps, and `op`, `kind`, `type` and `cost` are read from the bytes.
        struct ChangeMembers {
            var starts = SIMD16<Int32>(repeating: 0), ends = SIMD16<Int32>(repeating: 0)
            var escaped: UInt32 = 0
            var fields: [String]?
            var seen: UInt32 = 0
        }

        /// Reads `change`'s members into `changeMembers`.
        mutating func readChangeMembers() throws(Unhandled) {
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            var expected = 0
            while let (index, _) = try nextKeyIndex(&first, RuleEventDirectDecoder.changeKeys, from: expected) {
                // An index is below the list's count (at most 14): unchecked shifts.
                expected = index &+ 1
                let bit: UInt32 = 1 &<< UInt32(truncatingIfNeeded: index)
                guard seen & bit == 0 else { throw Unhandled() }
                if canonical && seen >= bit { canonical = false }  // a later key came first
                seen |= bit
                if index == C.fields { changeMembers.fields = try stringArray(); continue }
                let span = try stringSpan()
                changeMembers.starts[index] = Int32(span.range.lowerBound)
                changeMembers.ends[index] = Int32(span.range.upperBound)
                if span.hasEscapes { changeMembers.escaped |= bit }
            }
            changeMembers.seen = seen
        }

        /// The change `changeMembers` spell, its item (if any) in effect over `validity`.
        mutating func change(validity: RuleValidity) throws(Unhandled) -> RuleChange {
            let (starts, ends, escaped, seen, fields) = (changeMembers.starts, changeMembers.ends, changeMembers.escaped,
                                                         changeMembers.seen, changeMembers.fields)
            func has(_ i: Int) -> Bool { seen & C.bit(i) != 0 }
            /// The member's raw bytes; an escaped one (never so in practice) is the tree decoder's.
            func raw(_ i: Int) throws(Unhandled) -> UnsafeRawBufferPointer {
                guard has(i), escaped & C.bit(i) == 0 else { throw Unhandled() }
                return scanner.bytes(Int(starts[i])..<Int(ends[i]))
            }
            func text(_ i: Int) -> String? {
                guard has(i) else { return nil }
                let bytes = scanner.bytes(Int(starts[i])..<Int(ends[i]))
                return RuleEventDirectDecoder.text(escaped & C.bit(i) != 0 ? JSONUnescaper.unescape(bytes, into: scratch)
                                                   : bytes)
            }
            /// `text`, for a name most events repeat (service, field, group, tenant): interned.
            /// Inlined: called as a closure, its context cost ~55 instructions a call.
            @inline(__always) func name(_ i: Int) -> String? {
                guard has(i) else { return nil }
                if escaped & C.bit(i) == 0, let interner = known.interner {
                    return interner.text(scanner.bytes(Int(starts[i])..<Int(ends[i])))
                }
                return text(i)
            }
            func requiredName(_ i: Int) throws(Unhandled) -> String {
                guard let name = name(i) else { throw Unhandled() }
                return name
            }
            guard has(C.op), has(C.kind), let kindIndex = RuleEventDirectDecoder.kindIndex(try raw(C.kind)) else {
                throw Unhandled()  // batches, modules and unknown kinds: the tree decoder's
            }
            let kind = RuleEventDirectDecoder.kind(at: kindIndex)
            let op = RuleEventDirectDecoder.operationIndex(try raw(C.op))
            /// Refuses any member outside `allowed` (the members' bits, `mask(_:)`).
            func only(_ allowed: UInt32) throws(Unhandled) {
                if seen & ~allowed != 0 { throw Unhandled() }
            }
            func required(_ i: Int) throws(Unhandled) -> String {
                guard let text = text(i) else { throw Unhandled() }
                return text
            }
            func costType() throws(Unhandled) -> CostType {
                guard let type = RuleEventDirectDecoder.costTypeIndex(try raw(C.type)) else { throw Unhandled() }
                return RuleEventDirectDecoder.costType(at: type)
            }
            func decimal(_ i: Int) throws(Unhandled) -> ExactDecimal {
                let bytes = try raw(i)
                guard let d = ExactDecimal(ascii: bytes) else { throw Unhandled() }
                if canonical && !CanonicalTextChecks.isCanonicalDecimal(bytes) { canonical = false }
                return d
            }
            switch op ?? -1 {
            case 0, 1:  // create, update
                let item: RuleItem
                switch kind {
                case .group:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.name))
                    item = .group(try requiredName(C.name))
                case .service:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.name) | C.bit(C.fields))
                    guard let fields else { throw Unhandled() }
                    item = .service(ServiceDeclaration(name: try requiredName(C.name), fields: fields))
                case .field:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.service) | C.bit(C.name))
                    item = .field(service: try requiredName(C.service), name: try requiredName(C.name))
                case .mapping:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.id) | C.bit(C.service) | C.bit(C.field)
                             | C.bit(C.value) | C.bit(C.type) | C.bit(C.cost) | C.bit(C.group) | C.bit(C.tenant))
                    item = .mapping(HashMapping(id: try required(C.id), service: try requiredName(C.service),
                                                field: name(C.field), value: text(C.value), type: try costType(),
                                                cost: try decimal(C.cost), group: name(C.group), tenant: name(C.tenant),
                                                validity: validity))
                case .threshold:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.id) | C.bit(C.service) | C.bit(C.field)
                             | C.bit(C.level) | C.bit(C.type) | C.bit(C.cost) | C.bit(C.group) | C.bit(C.tenant))
                    item = .threshold(HashThreshold(id: try required(C.id), service: try requiredName(C.service),
                                                    field: name(C.field), level: try decimal(C.level),
                                                    type: try costType(), cost: try decimal(C.cost),
                                                    group: name(C.group), tenant: name(C.tenant), validity: validity))
                case .script:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.id) | C.bit(C.source))
                    item = .script(ScriptRule(id: try required(C.id), source: try required(C.source), validity: validity))
                case .tier:
                    throw Unhandled()
                }
                return op == 0 ? .create(item) : .update(item)
            case 2, 3:  // end, delete
                let target: RuleTarget
                switch kind {
                case .group, .service:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.name))
                    let name = try requiredName(C.name)
                    target = kind == .group ? .group(name) : .service(name)
                case .field:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.service) | C.bit(C.name))
                    target = .field(service: try requiredName(C.service), name: try requiredName(C.name))
                case .mapping, .threshold, .tier, .script:
                    try only(C.bit(C.op) | C.bit(C.kind) | C.bit(C.id))
                    target = .rule(kind, try required(C.id))
                }
                return op == 2 ? .end(target) : .delete(target)
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
                case 0 where key == nil:
                    if value != nil { canonical = false }  // "value" came first
                    key = try string()
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

        /// The `{` right here (canonical bytes) is stepped over as the scanner's
        /// `beginObject` would, without classifying the value first.
        mutating func beginObject() throws(Unhandled) {
            if scanner.position < scanner.count && scanner.base[scanner.position] == UInt8(ascii: "{") {
                scanner.position += 1
                scanner.keys?.enterObject()
                return
            }
            try expect(.object)
            try step { s throws(JSONSyntaxError) in try s.beginObject() }
        }

        /// The next key's bytes, nil at the end of the object; escaped keys are not handled.
        /// Canonical form: no whitespace before the `,` or `}`, after the `{` or `,`, or
        /// around the `:`.
        mutating func nextKey(_ first: inout Bool) throws(Unhandled) -> UnsafeRawBufferPointer? {
            if canonical && (scanner.isAtEnd || isJSONWhitespace(scanner.base[scanner.position])) { canonical = false }
            let opener = first ? UInt8(ascii: "{") : UInt8(ascii: ",")
            var isFirst = first
            let span = try step { s throws(JSONSyntaxError) in try s.nextMember(&isFirst) }
            first = isFirst
            guard let span else { return nil }
            if span.hasEscapes { throw Unhandled() }
            if canonical {
                let before = span.range.lowerBound - 2, colon = span.range.upperBound + 1
                if before < 0 || scanner.base[before] != opener || scanner.base[colon] != UInt8(ascii: ":")
                    || scanner.position != colon + 1 {
                    canonical = false
                }
            }
            return scanner.bytes(span.range)
        }

        mutating func string() throws(Unhandled) -> String {
            let span = try stringSpan()
            let raw = scanner.bytes(span.range)
            return RuleEventDirectDecoder.text(span.hasEscapes ? JSONUnescaper.unescape(raw, into: scratch) : raw)
        }

        /// `string()`, answered with `known` when the bytes spell it (no allocation then).
        mutating func string(reusing known: String) throws(Unhandled) -> String {
            let span = try stringSpan()
            let raw = scanner.bytes(span.range)
            if !span.hasEscapes && RuleEventDirectDecoder.spells(raw, known) { return known }
            return string(span, raw)
        }

        /// `string()` for a text many events repeat (a reason, a name): through the known
        /// strings' interner when there is one.
        mutating func repeatedString() throws(Unhandled) -> String {
            let span = try stringSpan()
            return string(span, scanner.bytes(span.range))
        }

        /// The text of a string span, interned when it has no escapes and there is an interner.
        private mutating func string(_ span: JSONStringSpan, _ raw: UnsafeRawBufferPointer) -> String {
            if !span.hasEscapes, let interner = self.known.interner { return interner.text(raw) }
            return RuleEventDirectDecoder.text(span.hasEscapes ? JSONUnescaper.unescape(raw, into: scratch) : raw)
        }

        /// The next string's place in the bytes, not yet made a `String`. Inlined (a dozen
        /// calls an event): the call cost about a fifth of the ~75 instructions of a read.
        @inline(__always)
        mutating func stringSpan() throws(Unhandled) -> JSONStringSpan {
            let span = try quotedSpan()
            // Escapes are canonical only in a few spellings; such rare strings take the re-encode.
            if span.hasEscapes { canonical = false }
            return span
        }

        /// A string value's span, escapes and all. Canonical bytes put its quote right after
        /// the key's colon, so that byte is tried first; anything else is classified as before
        /// (whitespace skipped, any other value refused). The decoder's scanner reads plain
        /// JSON (its quotes are `"`), so the string is read without asking.
        @inline(__always)
        mutating func quotedSpan() throws(Unhandled) -> JSONStringSpan {
            if scanner.position >= scanner.count || scanner.base[scanner.position] != UInt8(ascii: "\"") {
                try expect(.string)
            }
            return try step { s throws(JSONSyntaxError) in try s.readString(at: RawJSONText.self) }
        }

        mutating func bool() throws(Unhandled) -> Bool {
            // `t` or `f` right here is what `expect(.bool)` would find; anything else is
            // classified as before.
            if scanner.position >= scanner.count
                || (scanner.base[scanner.position] != UInt8(ascii: "t") && scanner.base[scanner.position] != UInt8(ascii: "f")) {
                try expect(.bool)
            }
            return try step { s throws(JSONSyntaxError) in try s.readBool() }
        }

        mutating func stringArray() throws(Unhandled) -> [String] {
            try expect(.array)
            try step { s throws(JSONSyntaxError) in try s.beginArray() }
            var items: [String] = []
            var first = true
            while true {
                if canonical && (scanner.isAtEnd || isJSONWhitespace(scanner.base[scanner.position])) { canonical = false }
                var isFirst = first
                guard try step({ s throws(JSONSyntaxError) in try s.nextElement(&isFirst) }) else { break }
                if canonical && isJSONWhitespace(scanner.base[scanner.position - 1]) { canonical = false }
                first = isFirst
                items.append(try repeatedString())
            }
            return items
        }

        /// A time member's value; an escaped one is the tree decoder's.
        mutating func time() throws(Unhandled) -> EventTime {
            let span = try quotedSpan()
            if span.hasEscapes { throw Unhandled() }
            let text = scanner.bytes(span.range)
            // The common spellings (all canonical ones among them) are read whole and judged
            // by their form; any other spelling is parsed field by field and written again
            // to compare, as before.
            if let time = TimestampParser.parseCommon(text, lastDate: &lastDate) {
                if canonical && !TimestampParser.commonIsCanonical(text, time) { canonical = false }
                return time
            }
            let time: EventTime
            do throws(TimestampProblem) { time = try TimestampParser.parseFields(text) } catch { throw Unhandled() }
            if canonical && !CanonicalTextChecks.isCanonical(text, time: time) { canonical = false }
            return time
        }

        /// The index of the name `key` spells. The search starts at `from` and wraps around:
        /// the names are distinct, so the answer does not depend on it, but canonical
        /// bytes list the keys in the names' order, so the name after the last one found
        /// is almost always the one.
        static func match(_ key: UnsafeRawBufferPointer, _ names: [StaticString], from start: Int = 0) -> Int? {
            let count = names.count
            var i = start < count ? start : 0
            for _ in 0..<count {
                let name = names[i]
                if name.utf8CodeUnitCount == key.count
                    && RuleEventDirectDecoder.equal(key, UnsafeRawBufferPointer(start: name.utf8Start, count: key.count)) {
                    return i
                }
                i = i + 1 < count ? i + 1 : 0
            }
            return nil
        }
    }
}

extension RuleEventDirectDecoder {
    /// Strings a reader has seen and expects again; "" when none. `interner`: the names and
    /// reasons seen (the decode thread's; nil elsewhere, which makes new strings as before).
    struct KnownStrings {
        var previousHash = ""
        var author = ""
        var interner: RuleTextInterner?
    }

    /// `String(decoding: bytes, as: UTF8.self)`, the same text. A string of up to fifteen bytes
    /// is built in place (half the instructions of `String(decoding:)`, ~60 against ~115, for
    /// the ids and values that differ per event); a longer one, which is allocated, as before
    /// (there `String(decoding:)` is the cheaper). Both repair invalid UTF-8 alike, and the
    /// scanner has refused any before.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count <= 15 else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Whether `bytes` are `text`'s UTF-8, byte for byte.
    static func spells(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        guard bytes.count == text.utf8.count, !bytes.isEmpty else { return false }
        let same = text.utf8.withContiguousStorageIfAvailable { utf8 in equal(bytes, UnsafeRawBufferPointer(utf8)) }
        return same ?? bytes.elementsEqual(text.utf8)
    }

    /// Two buffers of the same length compared eight bytes at a time, thirty-two per
    /// branch (the 64-byte hashes are compared twice per event), the last bytes as one
    /// word that overlaps the ones before; from four to seven bytes (the item kinds and
    /// operations), as two overlapping four-byte words; below, the first, middle and
    /// last bytes (all of them). Nothing is read outside either buffer.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = a.count
        guard n > 0, let p = a.baseAddress, let q = b.baseAddress else { return true }
        if n < 8 {
            if n >= 4 {
                @inline(__always) func differ4(_ i: Int) -> UInt32 {
                    p.loadUnaligned(fromByteOffset: i, as: UInt32.self) ^ q.loadUnaligned(fromByteOffset: i, as: UInt32.self)
                }
                return differ4(0) | differ4(n &- 4) == 0
            }
            @inline(__always) func differ1(_ i: Int) -> UInt8 {
                p.load(fromByteOffset: i, as: UInt8.self) ^ q.load(fromByteOffset: i, as: UInt8.self)
            }
            return differ1(0) | differ1(n >> 1) | differ1(n &- 1) == 0
        }
        @inline(__always) func differ(_ i: Int) -> UInt64 {
            p.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ q.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        }
        var i = 0
        while i &+ 32 <= n {
            if differ(i) | differ(i &+ 8) | differ(i &+ 16) | differ(i &+ 24) != 0 { return false }
            i &+= 32
        }
        while i &+ 8 <= n {
            if differ(i) != 0 { return false }
            i &+= 8
        }
        return i == n || differ(n &- 8) == 0
    }
}

/// JSON's insignificant whitespace (RFC 8259): none of it is in a canonical encoding.
@inline(__always)
func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}
