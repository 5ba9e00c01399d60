import Foundation
import Testing
@testable import TallyCore
@testable import TallyWire

/// The reader hashes an event's stored bytes (minus `hash` and `signature`) instead of
/// encoding the event again, but only when the one-pass decoder proved them canonical.
/// Held to the reference, `RuleEvent.computedHash()`: whenever a hash comes from the
/// bytes it is the reference hash, on canonical bytes and on bytes altered in every way
/// that breaks canonical form (whitespace, key order, times, decimals, escapes, a
/// missing `force`); and a log folded from bytes reaches the state the reference fold
/// (tree decoder, re-encoding hash) reaches, rejections and messages included.
@Suite struct RuleEventContentHashTests {
    typealias Numbers = RuleEventDirectDecoderTests.Numbers

    static func fastHash(_ bytes: [UInt8]) -> (event: RuleEvent, contentHash: String?)? {
        RuleEventDirectDecoder.decodeWithContentHash(bytes)
    }

    /// The event with its texts that need escapes made plain (most events have one).
    static func plain(_ event: RuleEvent) -> RuleEvent? {
        var text = String(decoding: RuleEventCodec.encode(event), as: UTF8.self)
        for (escaped, plain) in [(#"m1.\"tiny\""#, "m1.tiny"), (#"back\\slash"#, "backslash"), (#"tab\there"#, "tabthere"),
                                 (#"\u0001ctl"#, "ctl")] {
            text = text.replacingOccurrences(of: escaped, with: plain)
        }
        return try? RuleEventCodec.decodeTree(Array(text.utf8))
    }

    @Test func canonicalBytesAreHashedAsStoredWithTheReferenceHash() {
        var hashed = 0, escaped = 0
        for seed in 0..<4_000 {
            var r = Numbers(state: UInt64(seed))
            let generated = RuleEventDirectDecoderTests.event(&r)
            guard RuleEventDirectDecoderTests.isDirectShape(generated.change),
                  let event = seed % 2 == 0 ? generated : Self.plain(generated) else { continue }
            let bytes = RuleEventCodec.encode(event)
            guard let fast = Self.fastHash(bytes) else {
                Issue.record("seed \(seed): the direct decoder declined canonical bytes")
                continue
            }
            #expect(fast.event == event, "seed \(seed)")
            if let hash = fast.contentHash {
                #expect(hash == event.computedHash(), "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
                hashed += 1
            } else {
                // Only escaped strings (and an escaped stored hash) send canonical bytes to the re-encode.
                #expect(bytes.contains(UInt8(ascii: "\\")), "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
                escaped += 1
            }
        }
        #expect(hashed > 1_000 && escaped > 500, "hashed \(hashed), escaped \(escaped)")
    }

    /// Strings the reader offers for reuse (the chain head, the last author) change
    /// nothing: the same event and content hash whether they match, differ by a byte or
    /// are absent; and a stored hash that is not the content's gets the content's hash.
    @Test func knownStringsAndTheStoredHashChangeNothingButAllocation() {
        var reused = 0
        for seed in 0..<1_500 {
            var r = Numbers(state: UInt64(seed))
            let generated = RuleEventDirectDecoderTests.event(&r)
            // Without escapes (`plain`), so that most have a content hash to compare.
            guard RuleEventDirectDecoderTests.isDirectShape(generated.change), let event = Self.plain(generated) else { continue }
            let bytes = RuleEventCodec.encode(event)
            guard let plain = Self.fastHash(bytes) else { continue }
            let near = { (s: String) in s.isEmpty ? "x" : String(s.dropLast()) + (s.last == "x" ? "y" : "x") }
            for known in [RuleEventDirectDecoder.KnownStrings(previousHash: event.previousHash, author: event.author),
                          RuleEventDirectDecoder.KnownStrings(previousHash: near(event.previousHash), author: near(event.author))] {
                guard let fast = RuleEventDirectDecoder.decodeWithContentHash(bytes, known: known) else {
                    Issue.record("seed \(seed): declined with known strings")
                    continue
                }
                #expect(fast.event == plain.event && fast.event == event, "seed \(seed)")
                #expect(fast.contentHash == plain.contentHash, "seed \(seed)")
            }
            if plain.contentHash != nil { reused += 1 }
            // A wrong stored hash of the same length: the content's hash, not the stored one.
            var wrong = event
            wrong.hash = near(event.hash)
            if let fast = Self.fastHash(RuleEventCodec.encode(wrong)), let hash = fast.contentHash {
                #expect(hash == event.computedHash() && hash != wrong.hash, "seed \(seed)")
            }
        }
        #expect(reused > 200, "reused \(reused)")
    }

    /// Alterations that keep the bytes an event but (mostly) break canonical form.
    static func alter(_ bytes: [UInt8], _ r: inout Numbers) -> [UInt8] {
        var b = bytes
        let text = String(decoding: bytes, as: UTF8.self)
        func replacing(_ a: String, _ c: String) -> [UInt8] { Array(text.replacingOccurrences(of: a, with: c).utf8) }
        switch r.next(12) {
        case 0: b.insert(UInt8(ascii: " "), at: r.next(b.count + 1)); return b
        case 1: b.insert(UInt8(ascii: "\n"), at: r.next(b.count + 1)); return b
        case 2: return replacing(#""force":false,"#, "")
        case 3: return replacing(#"Z""#, #".000000Z""#)
        case 4: return replacing(#":00Z""#, #":00+00:00""#)
        case 5: return replacing(#""cost":""#, #""cost":"0"#)
        case 6: return replacing(#"","id":"#, #"0","id":"#)  // a trailing zero on a decimal before `id` (or on a text)
        case 7: return replacing(#"":"a""#, #"":"\u0061""#)  // the text "a", escaped
        case 8: return replacing(#"{"author":"#, #"{ "author":"#)
        case 9: return reordered(bytes, sorted: r.next(2) == 0) ?? bytes
        case 10: return replacing(#""kind":"#, #""op":"x","kind":"#)
        default: return RuleEventDirectDecoderTests.alter(bytes, &r)
        }
    }

    /// The event re-serialized by Foundation: its own key order (or sorted keys) and escapes.
    static func reordered(_ bytes: [UInt8], sorted: Bool) -> [UInt8]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: sorted ? [.sortedKeys] : []) else {
            return nil
        }
        return Array(data)
    }

    @Test func alteredBytesGetTheReferenceHashOrNone() {
        var hashed = 0, declined = 0
        for seed in 0..<6_000 {
            var r = Numbers(state: UInt64(seed) &* 131 &+ 17)
            let bytes = Self.alter(RuleEventCodec.encode(RuleEventDirectDecoderTests.event(&r)), &r)
            guard let fast = Self.fastHash(bytes) else { continue }
            let tree = try? RuleEventCodec.decodeTree(bytes)
            #expect(fast.event == tree, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            guard let hash = fast.contentHash else { declined += 1; continue }
            hashed += 1
            #expect(hash == fast.event.computedHash(), "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            #expect(RuleEventCodec.isCanonical(bytes, of: fast.event), "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
        }
        // Both answers occur, so the comparison covers both.
        // Most alterations leave the bytes non-canonical; 31 of 6,000 stay canonical and are hashed.
        #expect(hashed > 10 && declined > 1_000, "hashed \(hashed), declined \(declined)")
    }

    @Test func eachKindOfNonCanonicalBytesIsDeclined() throws {
        let event = RuleEvent(id: "e1", author: "alice", reason: "why", recordedAt: EventTime(micros: 1_767_225_600_000_000),
                              start: EventTime(micros: 1_767_229_200_000_000), end: EventTime(micros: 1_767_232_800_000_000),
                              change: .create(.mapping(HashMapping(id: "m1", service: "compute", field: "flavor", value: "m1.tiny",
                                                                   type: .flat, cost: ExactDecimal("0.5")!, group: "g")))).sealed(after: "")
        let text = String(decoding: RuleEventCodec.encode(event), as: UTF8.self)
        #expect(Self.fastHash(Array(text.utf8))?.contentHash == event.hash)
        let variants = [
            text.replacingOccurrences(of: #""cost":"0.5""#, with: #""cost":"0.50""#),
            text.replacingOccurrences(of: #""start":"2026-01-01T01:00:00Z""#, with: #""start":"2026-01-01T01:00:00.000000Z""#),
            text.replacingOccurrences(of: #","force":false"#, with: ""),
            text.replacingOccurrences(of: #""value":"m1.tiny""#, with: #""value":"m1.t\u0069ny""#),
            text.replacingOccurrences(of: #""value":"m1.tiny""#, with: #""value":"m1\/tiny""#),
            text.replacingOccurrences(of: #""kind":"mapping","op":"create""#, with: #""op":"create","kind":"mapping""#),
            text.replacingOccurrences(of: #""author":"alice","change""#, with: #""change""#)
                .replacingOccurrences(of: #""start""#, with: #""author":"alice","start""#),
            text.replacingOccurrences(of: #","id":"e1""#, with: #", "id":"e1""#),
            text.replacingOccurrences(of: #","id":"e1""#, with: #","id" :"e1""#),
            text.replacingOccurrences(of: #","id":"e1""#, with: #","id": "e1""#),
            text.replacingOccurrences(of: #","id":"e1""#, with: #" ,"id":"e1""#),
            // Whitespace right after a key spelled canonically (the keys' fast path), in
            // `change` and on an object's first key.
            text.replacingOccurrences(of: #""kind":"mapping""#, with: #""kind": "mapping""#),
            text.replacingOccurrences(of: #"{"author":"alice""#, with: "{\"author\":\t\"alice\""),
            " " + text, text + "\n",
        ]
        // Whitespace before an object's closing brace (the object-end fast path), in
        // `change` and at the top level.
        let braces: [String] = [
            text.replacingOccurrences(of: #""value":"m1.tiny"}"#, with: #""value":"m1.tiny" }"#),
            text.replacingOccurrences(of: #""value":"m1.tiny"}"#, with: "\"value\":\"m1.tiny\"\n}"),
            text.replacingOccurrences(of: #""start":"2026-01-01T01:00:00Z"}"#, with: "\"start\":\"2026-01-01T01:00:00Z\"\t}"),
        ]
        for variant in variants + braces {
            #expect(variant != text)
            let fast = try #require(Self.fastHash(Array(variant.utf8)), "\(variant)")
            #expect(fast.contentHash == nil, "\(variant)")
        }
    }

    /// A valid chain whose records are stored canonically, re-spaced (same content, not
    /// canonical: today's fold accepts them), or altered in content (a bad hash, and the
    /// chain continues without them): the reader's state equals the reference fold's.
    @Test func aLogFoldedFromBytesReachesTheReferenceState() {
        var accepted = 0, seedsWithBadHash = 0
        for seed in 0..<20 {
            var r = Numbers(state: UInt64(seed) &+ 1_000)
            var head = ""
            var reader = RuleLogReader()
            var reference = RuleLogState()
            let origin = EventTime(micros: 1_767_225_600_000_000)
            for n in 0..<300 {
                let change: RuleChange
                switch n {
                case 0: change = .create(.group("g"))
                case 1: change = .create(.service(ServiceDeclaration(name: "compute", fields: ["flavor", "memory"])))
                default:
                    let id = "rule-\(r.next(40))"
                    switch r.next(4) {
                    case 0: change = .end(.rule(.mapping, id))
                    case 1: change = .delete(.rule(.mapping, id))
                    default:
                        let field: String? = r.next(2) == 0 ? nil : "flavor"
                        change = .create(.mapping(HashMapping(id: id, service: "compute", field: field,
                                                              value: field.map { _ in "m1-\(r.next(3))" }, type: .flat,
                                                              cost: ExactDecimal(coefficient: Int128(r.next(300)), exponent: -2),
                                                              group: r.next(2) == 0 ? nil : "g")))
                    }
                }
                let recorded = EventTime(micros: origin.micros + Int64(n) * 60_000_000)
                let event = RuleEvent(id: "e-\(n)", author: "alice", reason: "test", recordedAt: recorded,
                                      start: EventTime(micros: recorded.micros + Int64(r.next(3)) * 3_600_000_000),
                                      change: change).sealed(after: head)
                var bytes = RuleEventCodec.encode(event)
                switch r.next(6) {
                case 0: bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
                case 1: bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "alice", with: "bob").utf8)
                case 2: bytes = Self.reordered(bytes, sorted: false) ?? bytes
                default: break
                }
                let outcome = reader.apply(bytes: bytes, offset: Int64(n))
                let expected: RuleEventOutcome
                do throws(RuleEventDecodingError) {
                    expected = reference.apply(try RuleEventCodec.decodeTree(bytes), offset: Int64(n))
                } catch {
                    expected = reference.recordUndecodable(offset: Int64(n), problem: error.description)
                }
                #expect(outcome == expected, "seed \(seed), event \(n)")
                head = reference.head
            }
            #expect(reader.state == reference, "seed \(seed)")
            accepted += reference.acceptedCount
            if reference.rejected.contains(where: { $0.rejection.code == .badHash }) { seedsWithBadHash += 1 }
        }
        // Both outcomes occur, so the comparison covers both (many generated events are
        // refused by validation: ids repeat, deletes name rules that do not exist).
        #expect(accepted > 100 && seedsWithBadHash > 10, "\(accepted) accepted, \(seedsWithBadHash) seeds with a bad hash")
    }
}
