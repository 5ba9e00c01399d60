import Foundation
import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// The one-pass rule-event decoder must answer exactly as the tree decoder or not at
/// all: on random events, and on those events' bytes altered (whitespace, reordered or
/// repeated or unknown members, nulls, numbers for strings, truncation, flipped bytes),
/// `RuleEventCodec.decode` and the tree decoder give the same event or the same error.
@Suite struct RuleEventDirectDecoderTests {
    /// SplitMix64: a fixed sequence per seed, so a failure names its seed.
    typealias Numbers = SplitMix64

    static let texts = ["a", "", "compute", "m1.\"tiny\"", "back\\slash", "tab\there", "ünï", "\u{1}ctl", "☃", "value-7"]

    static func event(_ r: inout Numbers) -> RuleEvent {
        func text() -> String { texts[r.next(texts.count)] }
        func maybe() -> String? { r.next(2) == 0 ? nil : text() }
        func decimal() -> ExactDecimal { ExactDecimal(coefficient: Int128(r.next(20_001)) - 10_000, exponent: -Int32(r.next(5))) }
        func time() -> EventTime { EventTime(micros: 1_767_225_600_000_000 + Int64(r.next(3)) * Int64(r.next(1_000_000_007))) }
        func item() -> RuleItem {
            switch r.next(7) {
            case 0: return .group(text())
            case 1: return .service(ServiceDeclaration(name: text(), fields: (0..<r.next(3)).map { _ in text() }))
            case 2: return .field(service: text(), name: text())
            case 3: return .mapping(HashMapping(id: text(), service: text(), field: maybe(), value: maybe(),
                                                type: r.next(2) == 0 ? .flat : .rate, cost: decimal(), group: maybe(), tenant: maybe()))
            case 4: return .threshold(HashThreshold(id: text(), service: text(), field: maybe(), level: decimal(),
                                                    type: r.next(2) == 0 ? .flat : .rate, cost: decimal(), group: maybe(), tenant: maybe()))
            case 5: return .script(ScriptRule(id: text(), source: text()))
            default:
                return .tier(TierRule(id: text(), service: text(),
                                      schedule: TierSchedule(mode: .graduated, tiers: [TierSchedule.Tier(upTo: nil, unitPrice: decimal())])))
            }
        }
        func target() -> RuleTarget {
            switch r.next(4) {
            case 0: return .group(text())
            case 1: return .service(text())
            case 2: return .field(service: text(), name: text())
            default:  // a rule target names a rule kind (a declaration is named by its own case)
                let kinds: [RuleItemKind] = [.mapping, .threshold, .tier, .script]
                return .rule(kinds[r.next(kinds.count)], text())
            }
        }
        let change: RuleChange
        switch r.next(7) {
        case 0, 1: change = .create(item())
        case 2: change = .update(item())
        case 3: change = .end(target())
        case 4: change = .delete(target())
        case 5: change = .enableModule(.hashmap)
        default: change = .batch([PlannedRuleChange(change: .create(item()), start: time())])
        }
        var event = RuleEvent(id: text(), author: text(), reason: text(), recordedAt: time(), start: time(),
                              end: r.next(2) == 0 ? nil : time(), force: r.next(2) == 0, change: change,
                              previousHash: text(), hash: text())
        if r.next(2) == 0 { event.signature = RuleEventSignature(key: text(), value: text()) }
        return event
    }

    /// Whether the direct decoder is meant to read this shape by itself.
    static func isDirectShape(_ change: RuleChange) -> Bool {
        switch change {
        case .create(let item), .update(let item): if case .tier = item { return false } else { return true }
        case .end, .delete: return true
        default: return false
        }
    }

    static func alter(_ bytes: [UInt8], _ r: inout Numbers) -> [UInt8] {
        var b = bytes
        let text = String(decoding: bytes, as: UTF8.self)
        func replacing(_ a: String, _ c: String) -> [UInt8] { Array(text.replacingOccurrences(of: a, with: c).utf8) }
        switch r.next(11) {
        case 0: return replacing(":", " : ")
        case 1: return replacing(",", " ,\n")
        case 2: b.insert(contentsOf: Array(#""zz":"x","#.utf8), at: 1); return b
        case 3: b.insert(contentsOf: Array(#""author":"x","#.utf8), at: 1); return b
        case 4: return replacing(#""force":false"#, #""force":null"#)
        case 5: return replacing(#""end":"#, #""end":null,"ignored":"#)
        case 6: return replacing(#""cost":""#, #""cost":1,"x":""#)
        case 7: return Array(b.prefix(r.next(b.count)))
        case 8: let i = r.next(b.count); b[i] = b[i] ^ UInt8(1 << r.next(8)); return b
        case 9: return replacing(#""kind":"#, #""kind":"x","kind":"#)
        default: return replacing(#"{"author""#, #"{"signature":{"value":"v","key":"k"},"author""#)
        }
    }

    enum Outcome: Equatable {
        case event(RuleEvent)
        case error(RuleEventDecodingError)
    }

    static func outcome(_ body: () throws(RuleEventDecodingError) -> RuleEvent) -> Outcome {
        do throws(RuleEventDecodingError) { return .event(try body()) } catch { return .error(error) }
    }

    @Test func canonicalEventsDecodeDirectlyToTheTreeDecodersEvent() {
        var direct = 0
        for seed in 0..<2_000 {
            var r = Numbers(state: UInt64(seed))
            let event = Self.event(&r)
            let bytes = RuleEventCodec.encode(event)
            let fast = RuleEventDirectDecoder.decode(bytes)
            #expect(Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decodeTree(bytes) } == .event(event), "seed \(seed)")
            if Self.isDirectShape(event.change) {
                #expect(fast == event, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
                direct += 1
            } else {
                #expect(fast == nil, "seed \(seed)")
            }
        }
        #expect(direct > 1_000)
    }

    @Test func alteredBytesGiveTheTreeDecodersAnswer() {
        var accepted = 0, refused = 0
        for seed in 0..<4_000 {
            var r = Numbers(state: UInt64(seed) &* 31 &+ 7)
            let bytes = Self.alter(RuleEventCodec.encode(Self.event(&r)), &r)
            let combined = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decode(bytes) }
            let tree = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decodeTree(bytes) }
            #expect(combined == tree, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            if case .event = tree { accepted += 1 } else { refused += 1 }
        }
        // Both kinds of answer occur, so the comparison covers both.
        #expect(accepted > 500 && refused > 500, "accepted \(accepted), refused \(refused)")
    }

    /// `op`, `kind`, `type` and the decimals are read from the bytes without making a
    /// `String`; escaped or unknown spellings of them must still get the tree decoder's answer.
    @Test func escapedAndUnknownMembersReadFromBytesGiveTheTreeDecodersAnswer() {
        let spellings: [(String, String)] = [
            (#""op":"create""#, #""op":"cr\u0065ate""#), (#""op":"end""#, #""op":"\u0065nd""#),
            (#""op":"create""#, #""op":"creat""#), (#""kind":"mapping""#, #""kind":"m\u0061pping""#),
            (#""kind":"mapping""#, #""kind":"mappings""#), (#""type":"flat""#, #""type":"fl\u0061t""#),
            (#""type":"rate""#, #""type":"Rate""#), (#""cost":""#, #""cost":"\u0030"#), (#""cost":""#, #""cost":"x"#),
            (#""level":""#, #""level":"\u0031"#),
        ]
        var changed = 0, accepted = 0
        for seed in 0..<3_000 {
            var r = Numbers(state: UInt64(seed) &* 17 &+ 3)
            let text = String(decoding: RuleEventCodec.encode(Self.event(&r)), as: UTF8.self)
            let (from, to) = spellings[seed % spellings.count]
            guard text.contains(from) else { continue }
            let bytes = Array(text.replacingOccurrences(of: from, with: to).utf8)
            let combined = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decode(bytes) }
            let tree = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decodeTree(bytes) }
            #expect(combined == tree, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            changed += 1
            if case .event = tree { accepted += 1 }
        }
        #expect(changed > 200 && accepted > 50 && accepted < changed, "changed \(changed), accepted \(accepted)")
    }

    /// Objects that end where a key could be: empty, or with whitespace before the brace
    /// (the decoder steps over a `}` itself when no canonical key follows).
    @Test func objectEndsGiveTheTreeDecodersAnswer() {
        var compared = 0
        for seed in 0..<600 {
            var r = Numbers(state: UInt64(seed) &* 29 &+ 11)
            let text = String(decoding: RuleEventCodec.encode(Self.event(&r)), as: UTF8.self)
            guard let change = text.range(of: #""change":{"#) else { continue }
            let closing = text[change.upperBound...].firstIndex(of: "}")!
            var emptied = text
            emptied.replaceSubrange(change.upperBound..<text.index(after: closing), with: "}")
            let variants = [
                emptied,
                text.replacingOccurrences(of: "}", with: " }"),
                text.replacingOccurrences(of: "}", with: "\n}"),
                String(text.dropLast()) + "\r\n}",
                String(text.dropLast()) + ",}",
                String(text.dropLast()),
            ]
            for variant in variants {
                let bytes = Array(variant.utf8)
                let combined = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decode(bytes) }
                let tree = Self.outcome { () throws(RuleEventDecodingError) in try RuleEventCodec.decodeTree(bytes) }
                #expect(combined == tree, "seed \(seed): \(variant)")
                compared += 1
            }
        }
        #expect(compared > 1_000)
    }

    /// The direct decoder's kinds and cost types by index (the order of its name lists)
    /// are `allCases`'s.
    @Test func kindsAndCostTypesByIndexAreAllCasesOrder() {
        for (i, kind) in RuleItemKind.allCases.enumerated() {
            #expect(RuleEventDirectDecoder.kind(at: i) == kind)
            let spelled = Array(kind.rawValue.utf8).withUnsafeBytes { RuleEventDirectDecoder.Reader.match($0, RuleEventDirectDecoder.kindNames) }
            #expect(spelled == i, "\(kind)")
        }
        for (i, type) in CostType.allCases.enumerated() {
            #expect(RuleEventDirectDecoder.costType(at: i) == type)
            let spelled = Array(type.rawValue.utf8).withUnsafeBytes { RuleEventDirectDecoder.Reader.match($0, RuleEventDirectDecoder.costTypeNames) }
            #expect(spelled == i, "\(type)")
        }
    }

    /// `equal` (word compares, an overlapping last word) agrees with comparing byte by byte:
    /// every length up to 80, equal buffers and a difference at every position, at every
    /// alignment of either buffer.
    @Test func equalAgreesWithByteComparison() {
        var r = Numbers(state: 0xE0A1)
        let storage = (0..<200).map { _ in UInt8(truncatingIfNeeded: r.next(256)) }
        for n in 0...80 {
            for shift in 0..<3 {
                let a = Array(storage[shift..<(shift + n)])
                var b = [UInt8](repeating: 0, count: n + 5)
                let offset = (n + shift) % 5
                b.replaceSubrange(offset..<(offset + n), with: a)
                b.withUnsafeBytes { bb in
                    let bView = UnsafeRawBufferPointer(rebasing: bb[offset..<(offset + n)])
                    a.withUnsafeBytes { aa in #expect(RuleEventDirectDecoder.equal(aa, bView), "n \(n)") }
                }
                for i in 0..<n {
                    var c = b
                    c[offset + i] ^= UInt8(1 << r.next(8))
                    c.withUnsafeBytes { cc in
                        let cView = UnsafeRawBufferPointer(rebasing: cc[offset..<(offset + n)])
                        a.withUnsafeBytes { aa in #expect(!RuleEventDirectDecoder.equal(aa, cView), "n \(n), at \(i)") }
                    }
                }
            }
        }
    }

    /// The one-word matchers of kinds, operations and cost types answer as `match` over
    /// the name lists: on every name, and on near misses (a byte changed, added or dropped,
    /// NUL padding, other case, empty, long).
    @Test func wordMatchersAgreeWithTheListSearch() {
        let lists: [([StaticString], (UnsafeRawBufferPointer) -> Int?)] = [
            (RuleEventDirectDecoder.kindNames, RuleEventDirectDecoder.kindIndex),
            (RuleEventDirectDecoder.operationNames, RuleEventDirectDecoder.operationIndex),
            (RuleEventDirectDecoder.costTypeNames, RuleEventDirectDecoder.costTypeIndex),
        ]
        var r = Numbers(state: 0x3A7C)
        var keys: [[UInt8]] = [[], Array("x".utf8), Array("thresholds".utf8), Array("threshol".utf8), Array("mappings".utf8)]
        for (names, _) in lists {
            for name in names {
                let bytes = Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
                keys.append(bytes)
                keys.append(bytes + [0])
                keys.append(Array(bytes.dropLast()))
                keys.append(Array(bytes.dropFirst()))
                keys.append(bytes.map { $0 & 0xDF })  // upper case
                for _ in 0..<30 {
                    var near = bytes
                    near[r.next(near.count)] ^= UInt8(1 << r.next(8))
                    keys.append(near)
                }
            }
        }
        var found = 0
        for key in keys {
            key.withUnsafeBytes { raw in
                for (names, matcher) in lists {
                    let expected = RuleEventDirectDecoder.Reader.match(raw, names)
                    #expect(matcher(raw) == expected, "\(key)")
                    if expected != nil { found += 1 }
                }
            }
        }
        #expect(found >= 13)
    }

    /// `spells` is the UTF-8 comparison (never for empty bytes): small and heap strings,
    /// ASCII and not, equal bytes, a byte more or less, one byte changed.
    @Test func spellsIsTheUTF8Comparison() {
        var r = Numbers(state: 0x5EE1)
        let pieces = ["a", "0", "f", "é", "☃", "-", "😀"]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<r.next(40) { text += pieces[r.next(pieces.count)] }
            let utf8 = Array(text.utf8)
            var candidates = [utf8, utf8 + [0x61], Array(utf8.dropLast())]
            if !utf8.isEmpty {
                var changed = utf8
                changed[r.next(changed.count)] ^= UInt8(1 << r.next(8))
                candidates.append(changed)
            }
            for bytes in candidates {
                let got = bytes.withUnsafeBytes { RuleEventDirectDecoder.spells($0, text) }
                #expect(got == (!bytes.isEmpty && bytes == utf8), "\(text) against \(bytes)")
            }
        }
    }
}
